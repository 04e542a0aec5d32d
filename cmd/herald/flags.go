package main

import "flag"

// parseMixed parses args whose flags may come before, between or after
// the operands, and returns the operands. done is set with the exit code
// when parsing ends the command (0 for -h, 2 for a bad flag).
func parseMixed(fs *flag.FlagSet, args []string) (operands []string, code int, done bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, 0, true
			}
			return nil, 2, true
		}
		if fs.NArg() == 0 {
			return operands, 0, false
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
