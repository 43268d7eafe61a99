// select: one goroutine sends 1M values alternately on two unbuffered
// channels; the receiver selects over both.
package main

import (
	"fmt"

	"goro.bench/form"
)

func run() string {
	const n = 1000000
	a := make(chan int)
	b := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			if i%2 == 0 {
				a <- i
			} else {
				b <- i
			}
		}
	}()
	sum := 0
	for i := 0; i < n; i++ {
		select {
		case v := <-a:
			sum += v
		case v := <-b:
			sum += v
		}
	}
	return fmt.Sprint("select ", sum)
}

func main() { form.Main(run) }
