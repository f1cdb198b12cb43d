// Command testbackends runs local test nodes for trying lbgen on loopback:
//
//	go run ./internal/cmd/testbackends -cookie gcbSessionServer CB_Server_1=127.0.0.1:18701 CB_Server_2=127.0.0.1:18702
//
// Each node answers with a JSON description of the request it received and
// sets the sticky cookie to ".NAME" when the request has none, as the
// application would. It stops on SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/lbgen/lbgen/internal/testbackend"
)

func main() {
	cookie := flag.String("cookie", "", "sticky cookie the nodes set, e.g. gcbSessionServer")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: testbackends [-cookie NAME] NAME=127.0.0.1:PORT...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var nodes []*testbackend.Backend
	for _, arg := range flag.Args() {
		name, addr, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "testbackends: %q is not NAME=ADDR\n", arg)
			os.Exit(2)
		}
		b, err := testbackend.Start(testbackend.Options{Name: name, Addr: addr, CookieName: *cookie})
		if err != nil {
			fmt.Fprintf(os.Stderr, "testbackends: %s: %v\n", name, err)
			os.Exit(1)
		}
		nodes = append(nodes, b)
		fmt.Printf("%s listening on %s\n", name, b.Addr())
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	for _, b := range nodes {
		b.Close()
	}
}
