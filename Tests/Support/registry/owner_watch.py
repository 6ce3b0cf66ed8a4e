"""Stops a test helper once the test run that started it is gone, however that run ended."""
import os
import threading
import time


def stop_with_owner() -> None:
    """Exits once the process named by PORTCULLIS_TEST_OWNER (the test run) is gone."""
    owner = int(os.environ.get("PORTCULLIS_TEST_OWNER", "0"))
    if not owner:
        return

    def watch():
        while True:
            try:
                os.kill(owner, 0)
            except OSError:
                os._exit(0)
            time.sleep(1)

    threading.Thread(target=watch, daemon=True).start()
