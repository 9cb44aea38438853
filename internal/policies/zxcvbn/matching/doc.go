// Package matching is upstream zxcvbn's matching package (see the parent
// package): it finds the dictionary, spatial, repeat, sequence, regex and
// date patterns in a password. The only change is that the frequency
// dictionaries are built on first use (defaultDictionaries).
package matching
