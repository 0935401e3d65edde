// hello is the smallest Go command muslbuild builds; `version` is set with
// `--ldflags "-X main.version=…"` (and `commit` likewise).
package main

import "fmt"

var (
	version = "dev"
	commit  = "none"
)

func main() {
	fmt.Printf("hello from Go (%s, commit %s)\n", version, commit)
}
