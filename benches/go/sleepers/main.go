// sleepers: 100k goroutines, each sleeping 10 ms ten times over.
package main

import (
	"fmt"
	"sync"
	"time"

	"goro.bench/form"
)

func run() string {
	const n = 100000
	const rounds = 10
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	return fmt.Sprintf("sleepers %dx%d", n, rounds)
}

func main() { form.Main(run) }
