// Package greet is our own small module, vendored by hand for the offline example.
package greet

// Hello greets someone.
func Hello(who string) string {
	return "hello, " + who + ", from a vendored module"
}
