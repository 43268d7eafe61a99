// blocking: 10k goroutines each make a 100µs blocking system call (nanosleep);
// the runtime hands the blocked threads off while the others run.
package main

import (
	"fmt"
	"sync"
	"syscall"

	"goro.bench/form"
)

func run() string {
	const n = 10000
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			ts := syscall.Timespec{Nsec: 100000}
			syscall.Nanosleep(&ts, nil)
			wg.Done()
		}()
	}
	wg.Wait()
	return fmt.Sprint("blocking ", n)
}

func main() { form.Main(run) }
