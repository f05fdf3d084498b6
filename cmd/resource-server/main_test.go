package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets a test run the real main in a child process: the test
// binary re-executes itself with RESOURCE_SERVER_RUN_MAIN set.
func TestMain(m *testing.M) {
	if os.Getenv("RESOURCE_SERVER_RUN_MAIN") == "1" {
		os.Args = append([]string{"resource-server"}, strings.Fields(os.Getenv("RESOURCE_SERVER_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestPlaceholderIssuerExitsNonZero(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "RESOURCE_SERVER_RUN_MAIN=1", "ISSUER=https://{yourOktaDomain}/oauth2/default")
	out, err := cmd.CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() == 0 {
		t.Fatalf("exit: %v, output %s", err, out)
	}
	for _, want := range []string{"ISSUER", "placeholder", "https://dev-123456.okta.com/oauth2/default"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("message %q does not mention %q", out, want)
		}
	}
}
