package flagenv

import (
	"reflect"
	"testing"
)

func TestInts(t *testing.T) {
	got, err := Ints("100000, 1_000_000,100k,2M")
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{100000, 1000000, 100000, 2000000}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	for _, bad := range []string{"", "x", "-5", "0", "1.5M"} {
		if _, err := Ints(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
