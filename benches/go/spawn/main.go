// spawn: 1M goroutines, each marking a WaitGroup done.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"

	"goro.bench/form"
)

func run() string {
	const n = 1000000
	var wg sync.WaitGroup
	var sum int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int64) {
			atomic.AddInt64(&sum, i)
			wg.Done()
		}(int64(i))
	}
	wg.Wait()
	return fmt.Sprint("spawn ", sum)
}

func main() { form.Main(run) }
