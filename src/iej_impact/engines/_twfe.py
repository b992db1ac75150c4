def twfe_engine(*a, **k):
    raise NotImplementedError
