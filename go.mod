module github.com/teardown-net/teardown

go 1.26.0

require (
	github.com/Shopify/toxiproxy/v2 v2.5.0
	golang.org/x/sys v0.49.0
)
