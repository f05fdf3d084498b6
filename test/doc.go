// Package test is empty: its sub-packages hold the interoperability, oracle
// and browser suites. See the README's testing section.
package test
