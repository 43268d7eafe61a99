// exit: main returns with 100k goroutines parked on a channel nobody sends on
// and 8 goroutines stuck in an hour-long blocking system call (nanosleep).
// The last line is main's end, in nanoseconds since the epoch; compare.sh
// measures from it to the moment the process has exited. In the goroutine
// form the body parks them from a goroutine, and main prints both lines
// once that goroutine has returned.
package main

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"goro.bench/form"
)

const n, stuck = 100000, 8

func run() string {
	var running sync.WaitGroup
	block := make(chan struct{})
	for i := 0; i < n; i++ {
		running.Add(1)
		go func() {
			running.Done()
			<-block
		}()
	}
	for i := 0; i < stuck; i++ {
		running.Add(1)
		go func() {
			running.Done()
			ts := syscall.Timespec{Sec: 3600}
			syscall.Nanosleep(&ts, nil)
		}()
	}
	running.Wait()
	return fmt.Sprint("exit ", n, " ", stuck)
}

func main() {
	fmt.Println(form.Run(run))
	fmt.Println("main-end", time.Now().UnixNano())
}
