// Package matching is upstream zxcvbn's matching package (see the parent
// package): it finds the dictionary, spatial, repeat, sequence, regex and
// date patterns in a password. The only changes are that the frequency
// dictionaries are built on first use (defaultDictionaries) and that their
// word lists are embedded text files (frequency/) instead of upstream's
// frequency package, whose map literal is built at program start.
package matching
