"""Drives `fifteen serve`'s page in headless Chromium through WebDriver (selenium): loads it,
waits until the map is drawn, switches to "add", clicks the map at a lon/lat, waits until the
edit is drawn, keeps a screenshot, and prints what the page shows as one JSON line (with the
texts that name the bands' unit: the threshold choices, the headline, the legend, the city's
covered share and the homes layer's toggle).

    python3 tests/browser/serve_page.py http://127.0.0.1:PORT LON LAT SCREENSHOT.png

Run by tests/serve_browser.rs, which checks the figures against `fifteen coverage`.
Exit code 0 with the JSON line, else 1 with the reason on stderr.
"""

import json
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

# As the machine notes say headless Chromium needs here: no sandbox as root, no GPU (WebGL
# through SwiftShader), and no background connections to a network that is closed.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
    "--enable-unsafe-swiftshader",
    "--use-angle=swiftshader",
]


def wait_for(driver, script, what, timeout_s=60):
    started = time.time()
    while time.time() - started < timeout_s:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {timeout_s} s waiting for {what}")


def severe(driver):
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def main(base, lon, lat, screenshot):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS + [f"--user-data-dir={tempfile.mkdtemp()}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(120)
    try:
        started = time.time()
        driver.get(base + "/")
        first = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.fifteen.ready.then(s => done(s), e => done({error: String(e)}));"
        )
        first_view_s = time.time() - started
        if "error" in first:
            raise RuntimeError(f"the page did not start: {first['error']}")
        errors = severe(driver)
        if errors:
            raise RuntimeError(f"console errors while loading: {errors}")
        headline = driver.find_element(By.ID, "headline-share")
        before = (headline.text, headline.get_attribute("data-covered-residents"))
        version = int(first["version"])

        driver.find_element(By.ID, "mode-add").click()
        x, y = driver.execute_script(
            "const p = fifteen.map.project([arguments[0], arguments[1]]); return [p.x, p.y];",
            lon,
            lat,
        )
        map_element = driver.find_element(By.ID, "map")
        size = map_element.rect
        ActionChains(driver).move_to_element_with_offset(
            map_element, int(x - size["width"] / 2), int(y - size["height"] / 2)
        ).click().perform()
        wait_for(
            driver,
            f"return Number(document.body.dataset.version) > {version};",
            "the added site to be drawn",
        )
        after = (headline.text, headline.get_attribute("data-covered-residents"))
        state = driver.execute_script("return fifteen.scenario();")
        texts = driver.execute_script(
            "const text = (sel) => [...document.querySelectorAll(sel)].map(e => e.textContent.trim());"
            "return {"
            " thresholds: text('#sel-threshold option'),"
            " threshold_label: text('#view-controls label:nth-child(3) span')[0],"
            " headline: text('#headline-text')[0],"
            " legend: text('#legend div'),"
            " city: text('#city-info td'),"
            " layers: text('#layer-toggles label'),"
            "};"
        )
        driver.save_screenshot(screenshot)
        errors = severe(driver)
        if errors:
            raise RuntimeError(f"console errors after the edit: {errors}")
        print(
            json.dumps(
                {
                    "scenario": state["id"],
                    "before_text": before[0],
                    "before_residents": float(before[1]),
                    "after_text": after[0],
                    "after_residents": float(after[1]),
                    "facilities": len(state["facilities"]["features"]),
                    "threshold": state["view"]["threshold"],
                    "texts": texts,
                    "first_view_s": round(first_view_s, 3),
                }
            )
        )
    finally:
        driver.quit()


if __name__ == "__main__":
    try:
        main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    except Exception as e:  # the reason goes to the Rust test
        print(f"serve_page.py: {e}", file=sys.stderr)
        sys.exit(1)
