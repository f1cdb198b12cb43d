package main

import (
	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/schema"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the cluster file, for editors",
		Long: `schema prints the JSON Schema (draft 2020-12) of the version 1 cluster file,
generated from lbgen's own types and limits: every field with its
description, allowed values and ranges. Files made by lbgen init name it on
their first line (# yaml-language-server: $schema=...), so VS Code and Neovim
with yaml-language-server complete fields and flag mistakes as you type.`,
		Example: "  lbgen schema > cluster-v1.json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := schema.Generate()
			if err != nil {
				return withCode(exitFailure, err)
			}
			_, err = cmd.OutOrStdout().Write(data)
			return withCode(exitFailure, err)
		},
	}
}
