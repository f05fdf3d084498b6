// Package progtest builds the resource-server program once per test binary,
// for the suites of the test module that run it as users do (test/e2e,
// test/gateway).
package progtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// rootModule holds the program, in the repository root.
	rootModule     = "github.com/resource-server/resource-server"
	programPackage = "./cmd/resource-server"
	buildTimeout   = 5 * time.Minute
)

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

// Binary returns the path of cmd/resource-server, built on the first call
// inside the root module (so that its own go.mod and go.sum decide the
// program's dependencies, exactly as for users); it fails t when the build
// fails.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := rootDir()
		if err != nil {
			buildErr = err
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "resource-server-test-"); buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "resource-server")
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		build := exec.CommandContext(ctx, "go", "build", "-o", buildPath, programPackage)
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build %s in %s: %v\n%s", programPackage, root, err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// Cleanup removes what Binary built; TestMain calls it after m.Run.
func Cleanup() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

// rootDir finds the root module above the working directory.
func rootDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(mod), "module "+rootModule+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("progtest: no go.mod of module " + rootModule + " above the working directory")
		}
		dir = parent
	}
}
