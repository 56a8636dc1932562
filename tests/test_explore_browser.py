"""cbow explore driven in a real browser: Debian's headless Chromium under Playwright.

One browser and one server for the module. Each test opens a page, does what a person
would (types, clicks, hovers), compares what the page shows with what the commands print,
and writes a screenshot of its view (into $CBOW_EXPLORE_SHOTS when set, else a temp
dir). Every page must make no request outside the server and throw no JavaScript error.

Playwright drives the system's /usr/bin/chromium (never `playwright install`, which
downloads a browser). Without it these tests fail, naming the command that installs it.
"""

import json
import os
from pathlib import Path

import pytest

from cbow.cli import main
from cbow.explore.served import load_files
from cbow.explore.server import ExploreServer

CHROMIUM = Path("/usr/bin/chromium")
INSTALL = "apt-get install -y chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def trained(explore_trained):
    return explore_trained


@pytest.fixture(scope="module")
def server(trained):
    with ExploreServer(load_files(trained[:2])).start() as running:
        yield running


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    directory = Path(os.environ.get("CBOW_EXPLORE_SHOTS") or tmp_path_factory.mktemp("explore-screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: the browser tests drive Debian's chromium; install it with: {INSTALL}",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 800})
        context.set_default_timeout(30_000)
        yield context
        context.close()


@pytest.fixture
def page(browser, server):
    page = browser.new_page()
    errors, outside = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    def note_request(request):
        if not request.url.startswith((server.url, "data:")):
            outside.append(request.url)

    page.on("request", note_request)
    page.goto(server.url)
    page.wait_for_selector("body.ready")
    yield page
    page.close()
    assert errors == [] and outside == []


def open_view(page, server, hash_part):
    page.goto(f"{server.url}#{hash_part}")


def cli_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def shown_neighbours(page, within):
    words = page.locator(f"{within} li button.word").all_text_contents()
    scores = page.locator(f"{within} li .score").all_text_contents()
    return list(zip(words, scores))


def test_search_with_completion_shows_cbow_similars_neighbours(page, server, trained, shots, capsys):
    page.locator("#word").press_sequentially("pari")
    page.locator(".completions li.completion", has_text="paris").click()
    page.wait_for_selector("#neighbours-result h2:text-is('paris')")
    expected = cli_json(capsys, "similar", str(trained[0]), "paris", "--topn", "10", "--json")["paris"]
    assert shown_neighbours(page, "#neighbours-result") == [(word, f"{score:.3f}") for word, score in expected]
    page.screenshot(path=shots / "neighbours.png")


def test_a_click_walks_on_and_back_returns(page, server):
    open_view(page, server, "neighbours?file=0&word=paris")
    page.wait_for_selector("#neighbours-result h2:text-is('paris')")
    second = page.locator("#neighbours-result li button.word").nth(1)
    word = second.text_content()
    second.click()
    page.wait_for_selector(f"#neighbours-result h2:text-is('{word}')")
    assert page.locator(".trail .crumb").all_text_contents() == ["paris", word]
    page.go_back()
    page.wait_for_selector("#neighbours-result h2:text-is('paris')")


def test_a_misspelt_word_offers_the_right_one(page, server, shots):
    page.fill("#word", "pariss")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error:has-text(\"word 'pariss' is not in a.cbow\")")
    page.screenshot(path=shots / "unknown-word.png")
    assert page.locator(".trail .crumb").count() == 0  # only words found join the trail
    page.locator(".error button.chip", has_text="paris").first.click()
    page.wait_for_selector("#neighbours-result h2:text-is('paris')")
    assert page.locator(".trail .crumb").all_text_contents() == ["paris"]


def test_an_analogy_by_both_methods(page, server, trained, shots, capsys):
    open_view(page, server, "analogy")
    page.fill("#expression", "king - man + woman")
    page.click("button:text('Solve')")
    page.wait_for_selector("#analogy-result section[data-method='3CosMul'] li")
    for method, flags in (("3CosAdd", []), ("3CosMul", ["--cosmul"])):
        expected = cli_json(capsys, "analogy", str(trained[0]), "king - man + woman", "--topn", "10", "--json", *flags)
        shown = shown_neighbours(page, f"#analogy-result section[data-method='{method}']")
        assert shown == [(word, f"{score:.3f}") for word, score in expected], method
    assert page.locator(".formula").text_content() == "king+woman−man"
    page.screenshot(path=shots / "analogy.png")


def test_the_map_hovers_and_selects_words(page, server, shots):
    open_view(page, server, "map?file=0")
    canvas = page.wait_for_selector("#map-canvas[data-points]")
    assert canvas.get_attribute("data-renderer") == "webgl"
    assert int(canvas.get_attribute("data-points")) == len(load_files([server.api.files["0"].path])[0].kv)
    page.fill("#map-find", "paris")
    page.keyboard.press("Enter")  # selects paris and puts it in the middle of the map
    page.wait_for_selector("#map-side h3:text-is('paris')")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.wait_for_selector(".map-tooltip:visible")
    assert tooltip.text_content().startswith("paris · frequency rank")
    page.wait_for_selector("#map-side li button.word")
    side = page.locator("#map-side li button.word").all_text_contents()
    expected = [word for word, _ in server.api.files["0"].kv.most_similar("paris", topn=10)]
    assert side == expected
    page.screenshot(path=shots / "map.png")
    page.keyboard.press("Escape")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a click selects too
    page.wait_for_selector("#map-side h3:text-is('paris')")


def test_map_labels_never_overlap(page, server):
    """The label placer, run in the browser on 5,000 random points with a selection pinned."""
    boxes = page.evaluate("""async () => {
        const { WordMap } = await import('/static/wordmap.js');
        const host = document.createElement('div');
        host.style.cssText = 'position:fixed;left:0;top:0;width:800px;height:600px';
        document.body.append(host);
        let seed = 1;
        const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
        const n = 5000;
        const coords = Float32Array.from({ length: 2 * n }, random);
        const words = Array.from({ length: n }, (_, i) => `word${i}`);
        const map = new WordMap(host);
        map.setPoints({ words, coords, shade: new Float32Array(n) });
        map.select(17);
        map.highlight([18, 19, 20]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const boxes = map.labelBoxes.map((b) => [b.x, b.y, b.width, b.height, b.index, b.pinned]);
        host.remove();
        return boxes;
    }""")
    placed = [b for b in boxes if not b[5]]
    pinned = {b[4] for b in boxes if b[5]}
    assert pinned == {17, 18, 19, 20} and len(placed) > 40

    def overlap(a, b):
        return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]

    clashes = [(a[4], b[4]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
               if (not a[5] or not b[5]) and overlap(a, b)]  # pinned words may touch each other only
    assert clashes == []
    assert all(0 <= b[0] and b[0] + b[2] <= 800 and 0 <= b[1] and b[1] + b[3] <= 600 for b in placed)


def test_a_neighbourhood_map(page, server, shots):
    open_view(page, server, "map?file=0&word=paris&k=40")
    page.wait_for_selector("#map-canvas[data-points='41']")
    page.wait_for_selector("#map-side h3:text-is('paris')")
    assert "PCA of 'paris' and its 40 nearest words" in page.locator("#map-legend").text_content()
    page.screenshot(path=shots / "map-neighbourhood.png")


def test_a_tsne_map_shows_its_progress(page, server, shots):
    open_view(page, server, "map?file=0&method=tsne&n=60")
    assert "t-SNE" in page.wait_for_selector(".map-status .progress").text_content()
    page.wait_for_selector("#map-canvas[data-points='60']:not(.stale)", timeout=120_000)
    assert page.locator("#map-legend").text_content().startswith("t-SNE of the 60 most frequent words")
    assert page.locator("#map-size").input_value() == "60"
    page.screenshot(path=shots / "map-tsne.png")


def test_two_files_side_by_side(page, server, trained, shots, capsys):
    open_view(page, server, "compare?a=0&b=1")
    page.fill("#compare-word", "paris")
    page.keyboard.press("Enter")
    page.wait_for_selector("#compare-summary .big")
    in_a = [w for w, _ in cli_json(capsys, "similar", str(trained[0]), "paris", "--json")["paris"]]
    in_b = [w for w, _ in cli_json(capsys, "similar", str(trained[1]), "paris", "--json")["paris"]]
    shared = set(in_a) & set(in_b)
    assert page.locator("#compare-summary .big").text_content() == f"{len(shared) / 10:.2f}"
    assert page.locator("section[data-side='A'] li button.word").all_text_contents() == in_a
    assert page.locator("section[data-side='B'] li button.word").all_text_contents() == in_b
    only_a = page.locator("section[data-side='A'] li.only button.word").all_text_contents()
    assert only_a == [w for w in in_a if w not in shared]
    page.click("#moved-run")
    page.wait_for_selector("#compare-moved table tbody tr")
    page.screenshot(path=shots / "compare.png", full_page=True)


def test_the_training_curves(page, server, trained, shots):
    open_view(page, server, "training?file=0")
    for chart in ("#chart-loss", "#chart-heldout", "#chart-scores"):
        page.wait_for_selector(f"{chart} svg polyline")
    assert page.locator("#epochs-table tbody tr").count() == 6
    outside = page.evaluate("""() => [...document.querySelectorAll('figure.chart svg')].flatMap((svg) => {
        const grid = [...svg.querySelectorAll('line.grid')].map((line) => Number(line.getAttribute('y1')));
        const top = Math.min(...grid), bottom = Math.max(...grid);  // the lowest and highest tick lines
        return [...svg.querySelectorAll('circle')].map((c) => Number(c.getAttribute('cy')))
            .filter((y) => y < top - 0.5 || y > bottom + 0.5);
    })""")
    assert outside == []  # every point lies within the ticks of its y axis
    page.locator("#chart-loss svg").hover()
    assert page.locator("#chart-loss .readout").is_visible()
    page.screenshot(path=shots / "training.png", full_page=True)


def test_an_evaluation_set_from_the_page(page, server, trained, shots, capsys):
    open_view(page, server, "evaluate")
    page.select_option("#file", "1")  # b.bin: the one that gets some wrong
    page.click("#eval-sets .set[data-set='planted-analogies'] button")
    page.wait_for_selector("#eval-result h2:text-is('planted-analogies on b.bin')")
    report = cli_json(capsys, "evaluate", str(trained[1]), "--analogies", str(trained[2]), "--json")
    add = report["analogies"][str(trained[2])]["methods"]["3CosAdd"]
    assert page.locator("#eval-sections tbody tr").count() == len(add["sections"])
    assert page.locator(".headline .big").first.text_content() == f"{100 * add['accuracy']:.1f}%"
    wrong = add["total"] - add["correct"]
    assert page.locator("#wrong p").first.text_content().startswith(f"{wrong:,} answered wrong")
    page.screenshot(path=shots / "evaluate.png", full_page=True)
    page.locator("#wrong tbody button.word").first.click()  # opens the question in Analogies
    page.wait_for_selector("#analogy-result section[data-method='3CosAdd'] li")
