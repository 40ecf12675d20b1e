package proc

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// The /proc readers: a process's CPU time grows while it works, and a
// child is among its descendants.
func TestCPUSecondsAndDescendants(t *testing.T) {
	before := CPUSeconds(os.Getpid())
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
	}
	if got := CPUSeconds(os.Getpid()) - before; got < 0.1 {
		t.Errorf("300 ms of work counted as %.2f s of CPU", got)
	}
	child := exec.Command("sleep", "5")
	if err := child.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	defer child.Process.Kill()
	if !slices.Contains(descendants(os.Getpid()), child.Process.Pid) {
		t.Errorf("child %d not among the descendants %v", child.Process.Pid, descendants(os.Getpid()))
	}
	if statFields(-1) != nil {
		t.Error("a process that does not exist has stat fields")
	}
}
