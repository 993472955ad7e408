package sock

import "fmt"

// RetiredName is the name a closed endpoint called name takes when a new
// one takes its name ("client close", then "client socket"): name#1, or
// the first of name#2, name#3, ... that taken does not report taken. Both
// runners rename so, and nothing the language names can have a '#'.
func RetiredName(name string, taken func(string) bool) string {
	for i := 1; ; i++ {
		if n := fmt.Sprintf("%s#%d", name, i); !taken(n) {
			return n
		}
	}
}
