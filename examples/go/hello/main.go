// hello is the smallest Go command muslbuild builds; `version` is set with
// `--ldflags "-X main.version=…"`.
package main

import "fmt"

var version = "dev"

func main() {
	fmt.Printf("hello from Go (%s)\n", version)
}
