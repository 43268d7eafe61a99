// idle: 1M goroutines parked at once (peak RSS is the measure), then released.
package main

import (
	"fmt"
	"sync"

	"goro.bench/form"
)

func run() string {
	const n = 1000000
	var parked, finished sync.WaitGroup
	release := make(chan struct{})
	for i := 0; i < n; i++ {
		parked.Add(1)
		finished.Add(1)
		go func() {
			parked.Done()
			<-release
			finished.Done()
		}()
	}
	parked.Wait()
	close(release)
	finished.Wait()
	return fmt.Sprint("idle ", n)
}

func main() { form.Main(run) }
