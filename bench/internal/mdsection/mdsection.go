// Package mdsection replaces a generated section of a Markdown file, the
// text between <!-- NAME:begin --> and <!-- NAME:end -->, so that the
// benchmark scripts can refresh their part of docs/BENCHMARKS.md and leave
// the prose around it alone.
package mdsection

import (
	"fmt"
	"os"
	"strings"
)

// Replace puts body between the markers of section name in the file at
// path. When the file lacks the markers, the section is appended with them.
// When the file does not exist, it is created.
func Replace(path, name, body string) error {
	begin, end := "<!-- "+name+":begin -->", "<!-- "+name+":end -->"
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	block := begin + "\n" + strings.TrimRight(body, "\n") + "\n" + end
	i, j := strings.Index(text, begin), strings.Index(text, end)
	switch {
	case i >= 0 && j > i:
		text = text[:i] + block + text[j+len(end):]
	case i >= 0 || j >= 0:
		return fmt.Errorf("%s: only one of the markers %q and %q is present", path, begin, end)
	default:
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		text += "\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// Publish writes a generated report where a benchmark tool was asked to:
// to out ("-" for standard output) and, when path is not empty, into
// section name of the Markdown file at path.
func Publish(report, out, path, name string) error {
	if out == "-" {
		if _, err := os.Stdout.WriteString(report); err != nil {
			return err
		}
	} else if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
		return err
	}
	if path == "" {
		return nil
	}
	return Replace(path, name, report)
}
