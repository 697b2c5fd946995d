"""Headless Chromium driven by Selenium, for the browser tests.

Chromium and its matching chromedriver come from Debian's ``chromium`` and
``chromium-driver`` packages (tools/bootstrap.sh installs them when run as
root); nothing is downloaded at test time (``SE_OFFLINE``). ``start``
raises ``BrowserMissing`` when they are not installed, so a test can skip
with that message; any other failure is a failure.

Screenshots of each step are kept as test artifacts in one directory per
session (``TROVE_TEST_ARTIFACTS`` or a new temp dir), never in the repo.
"""

import os
import re
import shutil
import tempfile
import time

CHROMIUM_CANDIDATES = ('/usr/lib/chromium/chromium', '/usr/bin/chromium')
CHROMEDRIVER_CANDIDATES = ('/usr/bin/chromedriver',
                           '/usr/lib/chromium/chromedriver')
CHROMIUM_FLAGS = (
    '--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
    '--window-size=1400,1000',
    # Nothing but the dashboard on loopback: no update checks, field
    # trials, sync or other calls home.
    '--disable-background-networking', '--disable-component-update',
    '--disable-default-apps', '--disable-sync', '--no-first-run',
    '--disable-features=Translate,OptimizationHints,MediaRouter',
)


class BrowserMissing(Exception):
    """Chromium or chromedriver is not installed."""


def _first_existing(paths):
    for path in paths:
        if os.path.exists(path):
            return path
    return None


def artifacts_dir(prefix='trove-browser-'):
    """Where this session's screenshots go (kept after the session)."""
    base = os.environ.get('TROVE_TEST_ARTIFACTS')
    if base:
        os.makedirs(base, exist_ok=True)
        return tempfile.mkdtemp(prefix=prefix, dir=base)
    return tempfile.mkdtemp(prefix=prefix)


class Browser:
    """One Chromium session: page helpers and numbered screenshots."""

    def __init__(self, driver, shots_dir):
        self.driver = driver
        self.shots_dir = shots_dir
        self._shots = 0

    def screenshot(self, step):
        self._shots += 1
        name = '%02d-%s.png' % (self._shots, re.sub(r'[^\w-]+', '-', step))
        path = os.path.join(self.shots_dir, name)
        self.driver.save_screenshot(path)
        return path

    def wait_for(self, condition, timeout, message, poll=0.25):
        """``condition()`` once truthy (its value); fails with ``message``
        and the page's visible text after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                shot = self.screenshot('timeout')
                raise AssertionError('%s (after %ss; screenshot %s)\n%s' % (
                    message, timeout, shot, self.page_text()[-3000:]))
            time.sleep(poll)

    def page_text(self):
        from selenium.webdriver.common.by import By
        try:
            return self.driver.find_element(By.TAG_NAME, 'body').text
        except Exception as error:       # a page being replaced
            return '<no page text: %s>' % error

    def click(self, element):
        """Click through JavaScript: a fading alert may cover the element,
        which a user would just wait out."""
        self.driver.execute_script('arguments[0].click();', element)

    def quit(self):
        self.driver.quit()


def start(shots_dir):
    """A headless Chromium session; raises BrowserMissing without one."""
    binary = _first_existing(CHROMIUM_CANDIDATES)
    driver_path = shutil.which('chromedriver') or _first_existing(
        CHROMEDRIVER_CANDIDATES)
    if binary is None or driver_path is None:
        raise BrowserMissing(
            'Chromium and chromedriver are not installed (Debian packages '
            'chromium and chromium-driver; tools/bootstrap.sh installs them '
            'when run as root)')
    os.environ.setdefault('SE_OFFLINE', 'true')
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    return Browser(driver, shots_dir)
