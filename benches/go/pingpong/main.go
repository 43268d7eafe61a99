// pingpong: 1M round trips between two goroutines over unbuffered channels.
package main

import (
	"fmt"

	"goro.bench/form"
)

func run() string {
	const n = 1000000
	ping := make(chan int)
	pong := make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	sum := 0
	for i := 0; i < n; i++ {
		ping <- i
		sum += <-pong - i
	}
	close(ping)
	return fmt.Sprint("pingpong ", sum)
}

func main() { form.Main(run) }
