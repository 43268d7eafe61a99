// fanout: GORO_BENCH_CLIENTS clients (default 1000), all started at once,
// each doing 100 round trips of 64 bytes with a goroutine-per-connection
// echo server over loopback, checking every byte echoed.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"goro.bench/form"
)

const rounds, size = 100, 64

// clients is GORO_BENCH_CLIENTS, or 1000 if it is unset or empty.
func clients() int {
	s := os.Getenv("GORO_BENCH_CLIENTS")
	if s == "" {
		return 1000
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		panic(fmt.Sprintf("GORO_BENCH_CLIENTS=%q: %v", s, err))
	}
	return int(n)
}

// fill fills message with what client c sends in round r: the client and
// the round as big-endian uint32s, then a pattern of both.
func fill(message []byte, c, r int) {
	binary.BigEndian.PutUint32(message[0:], uint32(c))
	binary.BigEndian.PutUint32(message[4:], uint32(r))
	for j := 8; j < len(message); j++ {
		message[j] = byte((c*31 + r*7 + j) % 251)
	}
}

// echo echoes what it reads until the client closes the connection.
func echo(conn net.Conn) {
	defer conn.Close()
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err == io.EOF {
			return
		}
		if err != nil {
			panic(err)
		}
		if _, err := conn.Write(buf[:n]); err != nil {
			panic(err)
		}
	}
}

func serve(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			panic(err)
		}
		go echo(conn)
	}
}

// client does the round trips of client c and returns the bytes verified.
func client(addr string, c int) int64 {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		panic(fmt.Sprintf("fanout: client %d: %v", c, err))
	}
	defer conn.Close()
	sent := make([]byte, size)
	got := make([]byte, size)
	for r := 0; r < rounds; r++ {
		fill(sent, c, r)
		if _, err := conn.Write(sent); err != nil {
			panic(fmt.Sprintf("fanout: client %d: %v", c, err))
		}
		if _, err := io.ReadFull(conn, got); err != nil {
			panic(fmt.Sprintf("fanout: client %d: %v", c, err))
		}
		if !bytes.Equal(got, sent) {
			panic(fmt.Sprintf("fanout: client %d, round %d: the echo differs", c, r))
		}
	}
	return rounds * size
}

func run() string {
	n := clients()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go serve(ln)
	addr := ln.Addr().String()
	var wg sync.WaitGroup
	var verified int64
	for c := 0; c < n; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			atomic.AddInt64(&verified, client(addr, c))
		}(c)
	}
	wg.Wait()
	ln.Close()
	return fmt.Sprint("fanout ", n, " ", verified)
}

func main() { form.Main(run) }
