// netuser imports the three packages that make a plain `go build` dynamic on glibc
// (net, net/http, os/user): it looks up the current user and localhost, then serves
// one HTTP request on 127.0.0.1 and fetches it.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
)

func main() {
	if u, err := user.Current(); err == nil {
		fmt.Printf("user: %s uid=%s\n", u.Username, u.Uid)
	} else {
		// A scratch image has no /etc/passwd; the pure-Go lookup says so instead of crashing.
		fmt.Printf("user: uid=%d (%v)\n", os.Getuid(), err)
	}
	addrs, err := net.LookupHost("localhost")
	fmt.Printf("lookup localhost: %d address(es), err=%v\n", len(addrs), err)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "served %s", r.URL.Path)
		}))
	}()
	resp, err := http.Get("http://" + ln.Addr().String() + "/static")
	if err != nil {
		fmt.Println("get:", err)
		os.Exit(1)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("http: %d %s\n", resp.StatusCode, body)
}
