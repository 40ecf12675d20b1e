# One step run as a step-per-process orchestrator runs it (a pod per step):
# the zenml step entrypoint in its own process, for a snapshot and a step name.
import sys
from zenml.orchestrators.local.local_orchestrator import LocalOrchestrator
LocalOrchestrator.get_orchestrator_run_id = lambda self: "orchestrator-run-" + sys.argv[3]
from zenml.entrypoints.step_entrypoint_configuration import StepEntrypointConfiguration
StepEntrypointConfiguration(arguments=["--entrypoint_config_source", "zenml.entrypoints.step_entrypoint_configuration.StepEntrypointConfiguration", "--snapshot_id", sys.argv[1], "--step_name", sys.argv[2]]).run()
