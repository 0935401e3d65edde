// greeter uses a dependency that exists only in vendor/: it builds with -mod=vendor and
// no network.
package main

import (
	"fmt"

	"example.com/greet"
)

func main() {
	fmt.Println(greet.Hello("vendor"))
}
