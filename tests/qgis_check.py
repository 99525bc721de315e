"""Opens every layer and the project of fifteen runs in real, headless QGIS and checks them.

Run with Debian's Python, which has PyQGIS (the pyenv python3 on PATH has not):

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py [--may-be-empty STEM] RUN_DIR...

For each run folder: every layer (.geojson or .fgb) opens valid, holds features (except the
stems given with --may-be-empty) and only valid geometries; QGIS applies the .qml beside it
when opening it (renderer type and class count as in the .qml, labels when it labels) and
every feature falls in one of its classes; project.qgs opens with every non-empty layer,
valid, styled as it declares, through relative paths, also after the folder is copied
elsewhere (with several categories, a category's copy of a shared layer holds only its
features, and each life-circle tier has copies styled by its completeness);
and the project renders to a PNG that is not blank. Prints one line per check and exits
with 1 when any failed. tests/qgis.rs runs it on the sample town and Liechtenstein.
"""

import argparse
import os
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsCoordinateTransform,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsRenderContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

FAILURES = []


def check(ok, message):
    print(("ok    " if ok else "FAIL  ") + message)
    if not ok:
        FAILURES.append(message)
    return ok


def qml_expectation(path):
    """Renderer type, number of classes, and labelled field (or None) the .qml declares."""
    return style_expectation(ET.parse(path).getroot())


def style_expectation(root):
    """The same of a style's root: a .qml's <qgis>, or a project's <maplayer>."""
    renderer = root.find("renderer-v2")
    kind = renderer.get("type")
    classes = len(renderer.findall("categories/category")) + len(renderer.findall("ranges/range"))
    ordered = renderer.get("enableorderby") == "1"
    label = None
    if root.get("labelsEnabled") == "1":
        label = root.find("labeling/settings/text-style").get("fieldName")
    return kind, classes, label, ordered


def check_style(layer, expected, where):
    kind, classes, label, ordered = expected
    renderer = layer.renderer()
    check(renderer.type() == kind, f"{where}: renderer {renderer.type()} (style says {kind})")
    if ordered:
        clauses = [c.expression().expression() for c in renderer.orderBy().list()]
        # the band field of the run's unit, and one the layer has
        band = clauses[0].strip('"') if len(clauses) == 1 else None
        known = band in ("band_min", "band_m") and band in layer.fields().names()
        check(renderer.orderByEnabled() and known, f"{where}: drawn ordered by {clauses}")
    if kind == "categorizedSymbol":
        check(len(renderer.categories()) == classes, f"{where}: {len(renderer.categories())} categories")
    if kind == "graduatedSymbol":
        check(len(renderer.ranges()) == classes, f"{where}: {len(renderer.ranges())} ranges")
    if label is not None:
        ok = layer.labelsEnabled() and layer.labeling().settings().fieldName == label
        check(ok, f"{where}: labelled by {label}")
    # every feature must fall in a class: a broken expression or a missing value shows here
    context = QgsRenderContext()
    context.setExpressionContext(
        QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    )
    renderer = renderer.clone()
    renderer.startRender(context, layer.fields())
    unstyled = 0
    for feature in layer.getFeatures():
        context.expressionContext().setFeature(feature)
        unstyled += not renderer.willRenderFeature(feature, context)
    renderer.stopRender(context)
    check(unstyled == 0, f"{where}: {unstyled} features in no class of the style")


def check_layers(run, may_be_empty):
    """Checks each layer file; returns the stems of those with features."""
    nonempty = []
    stems = sorted(
        f for f in os.listdir(run) if f.endswith((".geojson", ".fgb")) and not f.startswith(".")
    )
    check(len(stems) > 0, f"{run}: has layers")
    for name in stems:
        stem = name.rsplit(".", 1)[0]
        path = os.path.join(run, name)
        layer = QgsVectorLayer(path, stem, "ogr")
        if not check(layer.isValid(), f"{name}: opens valid"):
            continue
        count = layer.featureCount()
        if count == 0 and stem in may_be_empty:
            print(f"ok    {name}: empty, as allowed (left out of the project)")
            continue
        if not check(count > 0, f"{name}: {count} features"):
            continue
        nonempty.append(stem)
        invalid = [f.id() for f in layer.getFeatures() if not f.geometry().isGeosValid()]
        check(not invalid, f"{name}: {len(invalid)} invalid geometries {invalid[:5]}")
        qml = os.path.join(run, stem + ".qml")
        if check(os.path.exists(qml), f"{stem}.qml beside it"):
            check_style(layer, qml_expectation(qml), f"{name} opened plainly")
    return nonempty


def render(project, out_png):
    """Renders the project's checked layers, in legend order, to out_png; returns the share of
    pixels that are not background and the number of distinct colours."""
    root = project.layerTreeRoot()
    layers = [node.layer() for node in root.findLayers() if node.isVisible()]
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(QSize(1000, 800))
    extent = QgsRectangle()
    extent.setMinimal()
    for layer in layers:
        transform = QgsCoordinateTransform(layer.crs(), project.crs(), project)
        extent.combineExtentWith(transform.transformBoundingBox(layer.extent()))
    settings.setExtent(extent)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(out_png)
    painted, colours = 0, set()
    for y in range(0, image.height(), 4):
        for x in range(0, image.width(), 4):
            c = image.pixel(x, y)
            colours.add(c)
            if QColor(c).rgb() != QColor(255, 255, 255).rgb():
                painted += 1
    total = (image.height() // 4 + 1) * (image.width() // 4 + 1)
    return painted / total, len(colours)


def check_project(run, nonempty, render_dir):
    path = os.path.join(run, "project.qgs")
    if not check(os.path.exists(path), f"{run}: project.qgs written"):
        return
    tree = ET.parse(path).getroot()
    sources = [m.find("datasource").text for m in tree.iter("maplayer")]
    # each project layer's own style: a category's copy reads its fields, a life-circle
    # tier's copy is styled by completeness rather than as the .qml beside the file
    declared = {m.find("id").text: style_expectation(m) for m in tree.iter("maplayer")}
    check(all(s.startswith("./") for s in sources), f"project.qgs: relative paths {sources}")
    # zip and send: open the project from a copy of the folder elsewhere
    with tempfile.TemporaryDirectory() as elsewhere:
        copy = os.path.join(elsewhere, "sent")
        shutil.copytree(run, copy)
        project = QgsProject.instance()
        project.clear()
        check(project.read(os.path.join(copy, "project.qgs")), "project.qgs opens from a copy")
        layers = list(project.mapLayers().values())
        check(len(layers) == len(sources), f"project: {len(layers)} layers loaded of {len(sources)}")
        stems = [s[2:].split("|")[0].rsplit(".", 1)[0] for s in sources]
        own = {s for s in stems if "/" not in s}
        check(own == set(nonempty), f"project holds every non-empty layer: {stems}")
        for layer in layers:
            where = f"project layer {layer.name()}"
            if not check(layer.isValid() and layer.featureCount() > 0, f"{where}: valid, {layer.featureCount()} features"):
                continue
            source, _, subset = layer.source().partition("|subset=")
            if subset:
                # a category's copy of a layer holding every category's features
                wanted = subset.split("'")[1]
                found = {f["category"] for f in layer.getFeatures()}
                check(layer.subsetString() != "" and found == {wanted}, f"{where}: only {wanted!r} ({found})")
            source = source.split("|")[0]
            check(os.path.realpath(source).startswith(os.path.realpath(copy)), f"{where}: read from the copy")
            check_style(layer, declared[layer.id()], where)
        out_png = os.path.join(render_dir, os.path.basename(os.path.normpath(run)) + "-project.png")
        painted, colours = render(project, out_png)
        check(painted > 0.02 and colours > 4, f"project renders: {painted:.0%} of pixels painted, {colours} colours ({out_png})")
        project.clear()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--may-be-empty", action="append", default=[])
    parser.add_argument("--render-dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    app = QgsApplication([], False)
    app.initQgis()
    from qgis.core import Qgis

    print(f"QGIS {Qgis.version()}")
    for run in args.runs:
        print(f"== {run}")
        nonempty = check_layers(run, set(args.may_be_empty))
        check_project(run, nonempty, args.render_dir)
    app.exitQgis()
    print(f"{len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
