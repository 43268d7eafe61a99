// mpmc: 4 producers and 4 consumers on one channel with buffer 128, 4M messages.
package main

import (
	"fmt"
	"sync"

	"goro.bench/form"
)

func run() string {
	const producers, consumers, perProducer = 4, 4, 1000000
	ch := make(chan int, 128)
	var prod sync.WaitGroup
	for p := 0; p < producers; p++ {
		prod.Add(1)
		go func() {
			for i := 0; i < perProducer; i++ {
				ch <- i
			}
			prod.Done()
		}()
	}
	go func() { prod.Wait(); close(ch) }()
	var cons sync.WaitGroup
	counts := make([]int, consumers)
	for c := 0; c < consumers; c++ {
		cons.Add(1)
		go func(c int) {
			for range ch {
				counts[c]++
			}
			cons.Done()
		}(c)
	}
	cons.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	return fmt.Sprint("mpmc ", total)
}

func main() { form.Main(run) }
