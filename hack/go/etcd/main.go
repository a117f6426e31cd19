// Command etcd runs the etcd server from the published go.etcd.io/etcd/server/v3 module
// (etcd's root module cannot be `go install`ed from the module proxy).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
