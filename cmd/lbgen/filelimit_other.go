//go:build !unix

package main

import "errors"

func hostFileLimit() (soft, hard uint64, err error) {
	return 0, 0, errors.New("the open-file limit is read on Unix only")
}
