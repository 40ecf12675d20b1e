package zen

// The reference's rules for moving a pipeline run to a new status.

// RunStatusChange is the outcome of a requested status update.
type RunStatusChange struct {
	Status     string
	InProgress bool
	// Ignored means the request leaves the status as it is (a late
	// "provisioning" after the run already moved on).
	Ignored bool
}

// NextRunStatus decides a run's status after a client asks for requested.
// stepStatuses are the statuses of the run's step runs (retried ones left
// out); stepCount is the number of steps of its snapshot. For static
// pipelines the reference derives the run's status from its steps rather
// than taking the requested one as it is.
func NextRunStatus(current, requested string, isDynamic bool, stepCount int, stepStatuses []string, isChild bool) (RunStatusChange, error) {
	switch requested {
	case "cached", "skipped", "retrying", "retried":
		return RunStatusChange{}, Errorf(EForbidden, "Execution status `%s` is not valid for pipeline runs.", requested)
	case StatusResuming:
		if isChild {
			return RunStatusChange{}, Errorf(EForbidden, "Cannot resume a child run. Resume the parent run instead.")
		}
		if current != "paused" && current != StatusFailed {
			return RunStatusChange{}, Errorf(EForbidden, "Only failed or paused runs can be resumed.")
		}
	case StatusProvisioning:
		if current != StatusInitializing {
			return RunStatusChange{Status: current, InProgress: !IsFinished(current), Ignored: true}, nil
		}
	}
	next := requested
	if !isDynamic {
		next = derivedStatus(requested, stepCount, stepStatuses)
	} else if requested == StatusFailed && (current == StatusStopping || current == StatusStopped) {
		next = StatusStopped
	}
	if IsFinished(current) && next != current && !(current == StatusFailed && next == StatusResuming) {
		return RunStatusChange{}, Errorf(EForbidden, "Cannot update the status of a finished run.")
	}
	return RunStatusChange{Status: next, InProgress: !IsFinished(next)}, nil
}

// DeriveRunStatus is a static pipeline run's status after one of its steps
// changed: the current status read against the steps so far.
func DeriveRunStatus(current string, stepCount int, steps []string) string {
	return derivedStatus(current, stepCount, steps)
}

// derivedStatus computes a static pipeline run's status from the requested
// one and its steps.
func derivedStatus(requested string, stepCount int, steps []string) string {
	allFinished := true
	anyFailed, anyStopped, anyRunning := false, false, false
	for _, s := range steps {
		if !IsFinished(s) {
			allFinished = false
		}
		switch s {
		case StatusFailed:
			anyFailed = true
		case StatusStopped:
			anyStopped = true
		case StatusRunning, "retrying":
			anyRunning = true
		}
	}
	switch {
	case requested == StatusStopping:
		if allFinished {
			return StatusStopped
		}
		return StatusStopping
	case requested == StatusFailed || anyFailed:
		return StatusFailed
	case anyStopped:
		if allFinished {
			return StatusStopped
		}
		return StatusStopping
	case anyRunning:
		return StatusRunning
	case len(steps) < stepCount:
		if requested == StatusInitializing || requested == StatusProvisioning {
			return requested
		}
		return StatusRunning
	}
	return StatusCompleted
}

// CheckStepStatus refuses the step statuses a client may not set, as the
// reference does: the ones only the server sets, any change of a finished
// step, and moves out of stopping or cancelling other than to their end.
// current is nil for a new step.
func CheckStepStatus(current *string, next string) error {
	switch next {
	case "retrying", "retried", "cancelling", "queued":
		return Errorf(EForbidden, "Execution status `%s` cannot be set manually.", next)
	}
	if current == nil {
		return nil
	}
	switch {
	case IsFinished(*current):
		return Errorf(EForbidden, "The status of finished steps can not be updated.")
	case *current == StatusStopping && next != StatusStopped && next != StatusFailed:
		return Errorf(EForbidden, "Stopping steps can not be transitioned to status `%s`.", next)
	case *current == "cancelling" && next != "cancelled" && next != StatusFailed:
		return Errorf(EForbidden, "Cancelling steps can not be transitioned to status `%s`", next)
	}
	return nil
}
