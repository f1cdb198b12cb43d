// Command lbgen renders sticky-session load-balancer configuration for
// nginx, Apache httpd and HAProxy from one cluster file.
package main

import "os"

func main() { os.Exit(Main()) }
