from zenml import log_metadata, pipeline, step


@step
def load_data() -> int:
    print("loading")
    return 41


@step
def transform(x: int) -> int:
    print("transforming", x)
    log_metadata(metadata={"rows": x, "note": "transformed"})
    return x + 1


@step
def evaluate(x: int) -> int:
    print("evaluating", x)
    return x * 2


@pipeline(enable_cache=False)
def bench_linear_m():
    evaluate(transform(load_data()))


if __name__ == "__main__":
    run = bench_linear_m()
    print("RUN", run.id, run.status, run.snapshot.id)
