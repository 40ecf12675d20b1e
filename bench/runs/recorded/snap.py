import rec
rec.snapshot_only()
