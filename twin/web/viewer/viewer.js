/* The published scene's viewer: a classic script (browsers refuse ES modules from file://) on
   three.js (vendor/three.bundle.min.js, the global THREE) and the scene (scene-data.js, the global
   TWIN_SCENE, each layer's mesh a gzip-compressed binary glTF in base64). Map coordinates are the
   scene CRS's metres; the meshes lie in a local frame:
   x = X - X0, y = Z - Z0 (up), z = Y0 - Y, with the origin (X0, Y0, Z0) from the scene. */
(function () {
  "use strict";

  var data = window.TWIN_SCENE;
  var origin = data.origin;
  var view = document.getElementById("view");
  var status = document.getElementById("status");
  var HIGHLIGHT = new THREE.Color(0xff00c8);  // in none of the colour maps, nor the roofs' red
  var PROPOSAL_COLOURS = { retention_area: 0x2b83d6, unsealing: 0x5fae3e, green_roof: 0x3f8f3f,
    trees: 0x2e7d32, new_building: 0xe0a030, demolition: 0xc0392b, street_works: 0x8e44ad,
    comment: 0xf2a900 };  // comments sent back earlier; the participant's own pins are PIN_COLOUR
  var PIN_COLOUR = 0xd62828;
  var PIN_SCREEN_SHARE = 0.03;  // a pin's height over its distance: about a twentieth of the view's height

  var renderer, scene, camera, controls, raycaster = new THREE.Raycaster();
  var layerObjects = [];  // per published layer: its THREE object (null until loaded)
  var proposalObjects = [];
  var pins = [];
  var pinGroup = new THREE.Group();
  var highlighted = null;  // {geometry, colours (the original array)}
  var placing = false, pendingPoint = null, sceneSize = 1000;

  function toLocal(p) { return new THREE.Vector3(p[0] - origin[0], p[2] - origin[2], origin[1] - p[1]); }
  function toMap(v) { return [v.x + origin[0], origin[1] - v.z, v.y + origin[2]]; }
  function round2(value) { return Math.round(value * 100) / 100; }

  function say(text) { status.textContent = text; status.hidden = !text; }

  function start() {
    try {
      renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    } catch (error) {
      say("This browser cannot draw 3D (WebGL is off or missing): " + error.message);
      return;
    }
    renderer.setPixelRatio(window.devicePixelRatio || 1);
    view.insertBefore(renderer.domElement, view.firstChild);
    scene = new THREE.Scene();
    scene.background = new THREE.Color(0xdfe8f0);
    scene.add(new THREE.HemisphereLight(0xffffff, 0x8d8d7a, 2.2));
    var sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(-300, 600, 250);  // from the south-west, as an afternoon sun
    scene.add(sun);
    scene.add(pinGroup);
    camera = new THREE.PerspectiveCamera(30, 1, 1, 100000);
    controls = new THREE.OrbitControls(camera, renderer.domElement);
    controls.addEventListener("change", render);
    window.addEventListener("resize", resize);
    document.getElementById("title").textContent = data.name;
    document.title = data.name;
    document.getElementById("crs").textContent = data.crs || "unknown";
    resize();
    loadLayers().then(function () {
      buildProposals();
      restorePins();
      fitCamera();
      fillPanel();
      wireEvents();
      say("");
      render();
      document.body.dataset.ready = "1";
    }, function (error) { say("The scene could not be read: " + error); });
  }

  function resize() {
    var width = view.clientWidth, height = view.clientHeight;
    renderer.setSize(width, height);
    camera.aspect = width / Math.max(height, 1);
    camera.updateProjectionMatrix();
    render();
  }

  function render() {
    if (!renderer) { return; }
    var distance = camera.position.distanceTo(controls.target);
    camera.near = Math.max(0.5, distance / 500);
    camera.far = distance * 20 + sceneSize * 4;
    camera.updateProjectionMatrix();
    scene.traverse(function (object) {
      if (object.userData.screenSized) {
        object.scale.setScalar(camera.position.distanceTo(object.position) * PIN_SCREEN_SHARE);
      }
    });
    renderer.render(scene, camera);
  }

  // A layer's binary glTF: scene-data.js holds it gzip-compressed in base64 (stored once; a .glb
  // file beside it could not be read from file://), unpacked by the browser's own gunzip.
  function modelBytes(number) {
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject("this browser cannot unpack the scene (it has no DecompressionStream): "
        + "open the site in a current Chrome, Edge, Firefox or Safari");
    }
    var text = atob(data.models[number]), bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    var unpacked = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(unpacked).arrayBuffer();
  }

  function loadLayers() {
    var loader = new THREE.GLTFLoader();
    return Promise.all(data.layers.map(function (layer, number) {
      return modelBytes(number).then(function (buffer) { return new Promise(function (resolve, reject) {
        loader.parse(buffer, "", function (gltf) {
          var object = gltf.scene;
          object.traverse(function (child) {
            if (child.isMesh || child.isLine || child.isLineSegments) { styleChild(child, layer, number); }
          });
          object.visible = layer.visible;
          scene.add(object);
          layerObjects[number] = object;
          resolve();
        }, function (error) { reject(layer.name + ": " + (error.message || error)); });
      }); });
    }));
  }

  function styleChild(child, layer, number) {
    var material = child.material;
    material.vertexColors = true;
    if (layer.opacity < 1) { material.transparent = true; material.opacity = layer.opacity; }
    if (layer.kind === "result") {  // drawn on the same buildings or streets: the result is seen
      material.polygonOffset = true;
      material.polygonOffsetFactor = -1;
      material.polygonOffsetUnits = -4;
    }
    child.userData.layer = number;
  }

  function fitCamera() {
    var box = new THREE.Box3();
    layerObjects.forEach(function (object) { if (object) { box.expandByObject(object); } });
    var centre = box.getCenter(new THREE.Vector3()), size = box.getSize(new THREE.Vector3());
    sceneSize = Math.max(size.x, size.z, 100);
    raycaster.params.Line.threshold = sceneSize / 400;
    if (data.camera) {
      setView(data.camera);
    } else {
      controls.target.copy(centre);
      // From the south, 40 degrees down, far enough that the scene's bounding sphere fills the view.
      var radius = size.length() / 2, half = THREE.MathUtils.degToRad(camera.fov) / 2;
      var narrowest = Math.min(half, Math.atan(Math.tan(half) * camera.aspect));
      var direction = new THREE.Vector3(0, Math.sin(0.7), Math.cos(0.7));
      controls.target.copy(centre);
      camera.position.copy(centre).addScaledVector(direction, radius / Math.sin(narrowest));
      camera.lookAt(centre);
      controls.update();
    }
  }

  function setView(saved) {
    camera.position.copy(toLocal(saved.position));
    controls.target.copy(toLocal(saved.focal_point));
    var up = saved.view_up || [0, 0, 1];
    camera.up.set(up[0], up[2], -up[1]).normalize();
    camera.fov = saved.view_angle || 30;
    controls.update();
    render();
  }

  function flyTo(bookmark) {
    var fromPosition = camera.position.clone(), fromTarget = controls.target.clone();
    var toPosition = toLocal(bookmark.position), toTarget = toLocal(bookmark.focal_point);
    var started = performance.now(), seconds = 1.2;
    showCaption(bookmark);
    document.body.dataset.view = "";
    function step(now) {
      var t = Math.min(1, (now - started) / (seconds * 1000));
      var eased = t * t * (3 - 2 * t);
      camera.position.lerpVectors(fromPosition, toPosition, eased);
      controls.target.lerpVectors(fromTarget, toTarget, eased);
      controls.update();
      render();
      if (t < 1) { requestAnimationFrame(step); } else { setView(bookmark); document.body.dataset.view = bookmark.name; }
    }
    requestAnimationFrame(step);
  }

  function showCaption(bookmark) {
    var caption = document.getElementById("caption");
    caption.innerHTML = "";
    if (!bookmark.caption && !bookmark.text) { caption.hidden = true; return; }
    var strong = document.createElement("strong");
    strong.textContent = bookmark.caption || bookmark.name;
    caption.appendChild(strong);
    caption.appendChild(document.createTextNode(bookmark.text || ""));
    caption.hidden = false;
  }

  // ----- the panel: layers, legends, views, proposals -----

  function element(tag, text, className) {
    var made = document.createElement(tag);
    if (text !== undefined) { made.textContent = text; }
    if (className) { made.className = className; }
    return made;
  }

  function fillPanel() {
    var list = document.getElementById("layers");
    data.layers.forEach(function (layer, number) {
      var item = element("li"), label = element("label"), box = element("input");
      box.type = "checkbox";
      box.checked = layer.visible;
      box.addEventListener("change", function () {
        layerObjects[number].visible = box.checked;
        layer.visible = box.checked;
        drawLegends();
        render();
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + layer.name + (layer.time_step ? " (" + layer.time_step + ")" : "")));
      item.appendChild(label);
      var glb = element("button", "glTF", "link small");
      glb.type = "button";
      glb.title = "Download this layer as binary glTF (" + layer.download + "), local frame: see metadata.json";
      glb.setAttribute("aria-label", "Download " + layer.name + " as glTF");
      glb.addEventListener("click", function () {
        modelBytes(number).then(function (buffer) {
          saveBlob(new Blob([buffer], { type: "model/gltf-binary" }), layer.download);
        }, say);
      });
      item.appendChild(glb);
      list.appendChild(item);
    });
    fillLinks("bookmarks", data.quarters, function (quarter) { return "Quarter " + quarter.name; }, flyTo);
    fillLinks("bookmarks", data.bookmarks, function (bookmark) { return bookmark.name; }, flyTo);
    fillLinks("proposals", data.proposals, function (proposal) {
      return (proposal.title || proposal.id) + " (" + proposal.kind_title + ")";
    }, function (proposal) { showProposal(proposal); });
    document.getElementById("bookmarks-section").hidden = data.bookmarks.length + data.quarters.length === 0;
    document.getElementById("proposals-section").hidden = data.proposals.length === 0;
    drawLegends();
  }

  function fillLinks(listId, items, label, action) {
    var list = document.getElementById(listId);
    items.forEach(function (item) {
      var entry = element("li"), link = element("button", label(item), "link");
      link.type = "button";
      link.addEventListener("click", function () { action(item); });
      entry.appendChild(link);
      list.appendChild(entry);
    });
  }

  function drawLegends() {
    var box = document.getElementById("legends");
    box.innerHTML = "";
    data.layers.forEach(function (layer) {
      if (!layer.legend || !layer.visible) { return; }
      var legend = element("div", undefined, "legend");
      legend.appendChild(element("div", layer.legend.title + (layer.time_step ? ", " + layer.time_step : ""),
        "legend-title"));
      if (layer.legend.gradient) {
        var bar = element("div", undefined, "bar");
        bar.style.background = "linear-gradient(to right, " + layer.legend.gradient.join(", ") + ")";
        legend.appendChild(bar);
        var labels = element("div", undefined, "labels");
        layer.legend.labels.forEach(function (text) { labels.appendChild(element("span", text)); });
        legend.appendChild(labels);
      } else {
        layer.legend.classes.forEach(function (entry) {
          var row = element("div"), swatch = element("span", undefined, "swatch");
          swatch.style.background = entry.colour;
          row.appendChild(swatch);
          row.appendChild(document.createTextNode(entry.label));
          legend.appendChild(row);
        });
      }
      legend.appendChild(element("div", layer.name, "legend-layer"));
      box.appendChild(legend);
    });
  }

  // ----- proposals: areas on the ground, new buildings as volumes, trees as crowns -----

  function buildProposals() {
    data.proposals.forEach(function (proposal, number) {
      var group = new THREE.Group(), colour = PROPOSAL_COLOURS[proposal.kind] || 0x888888;
      proposal.parts.forEach(function (part) {
        if (proposal.shape === "area") { group.add(areaMesh(part, colour, proposal.height)); }
        if (proposal.shape === "line") { group.add(lineObject(part, colour)); }
        if (proposal.shape === "points") {
          part.forEach(function (point) { group.add(crown(point, colour, proposal.crown)); });
        }
        if (proposal.shape === "pin") { group.add(pinMarker(new THREE.Vector3(part[0], part[1], part[2]), colour)); }
      });
      group.traverse(function (child) { child.userData.proposal = number; });
      scene.add(group);
      proposalObjects.push(group);
    });
  }

  function areaMesh(ring, colour, height) {
    var shape = new THREE.Shape(ring.map(function (p) { return new THREE.Vector2(p[0], -p[2]); }));
    var base = Math.min.apply(null, ring.map(function (p) { return p[1]; }));
    var geometry = new THREE.ExtrudeGeometry(shape, { depth: height > 0 ? height : 0.4, bevelEnabled: false });
    geometry.rotateX(-Math.PI / 2);
    geometry.translate(0, base, 0);
    var material = new THREE.MeshStandardMaterial({ color: colour, transparent: true,
      opacity: height > 0 ? 0.85 : 0.6, side: THREE.DoubleSide });
    return new THREE.Mesh(geometry, material);
  }

  function lineObject(points, colour) {
    var geometry = new THREE.BufferGeometry().setFromPoints(points.map(function (p) {
      return new THREE.Vector3(p[0], p[1] + 1, p[2]);
    }));
    return new THREE.Line(geometry, new THREE.LineBasicMaterial({ color: colour }));
  }

  function crown(point, colour, diameter) {
    var radius = Math.max(diameter, 1) / 2;
    var mesh = new THREE.Mesh(new THREE.SphereGeometry(radius, 16, 12),
      new THREE.MeshStandardMaterial({ color: colour }));
    mesh.position.set(point[0], point[1] + radius + 2, point[2]);  // a crown on a 2 m trunk
    return mesh;
  }

  // ----- picking -----

  function hitAt(event, objects) {
    var rect = renderer.domElement.getBoundingClientRect();
    var pointer = new THREE.Vector2(((event.clientX - rect.left) / rect.width) * 2 - 1,
      -((event.clientY - rect.top) / rect.height) * 2 + 1);
    raycaster.setFromCamera(pointer, camera);
    var visible = objects.filter(function (object) { return object && object.visible; });
    var hits = raycaster.intersectObjects(visible, true);
    if (!hits.length) { return null; }
    // A result drawn on the same buildings or streets lies at the same distance: the later layer
    // (the result, drawn over its target) is the one seen, so it is the one picked.
    var level = hits.filter(function (hit) { return hit.distance - hits[0].distance < 0.05; });
    level.sort(function (a, b) { return (b.object.userData.layer || 0) - (a.object.userData.layer || 0); });
    return level[0];
  }

  function pick(event) {
    // The attributes open on the side away from the click, so the picked feature stays in sight.
    var rect = renderer.domElement.getBoundingClientRect();
    document.getElementById("info").classList.toggle("left", event.clientX - rect.left > rect.width / 2);
    var hit = hitAt(event, layerObjects.concat(proposalObjects, [pinGroup]));
    clearHighlight();
    if (!hit) { document.getElementById("info").hidden = true; render(); return; }
    var data_ = hit.object.userData;
    if (data_.pin !== undefined) { showPin(pins[data_.pin]); return; }
    if (data_.proposal !== undefined) { showProposal(data.proposals[data_.proposal]); return; }
    var layer = data.layers[data_.layer], ids = hit.object.geometry.getAttribute("_feature_id_0");
    if (!layer.features || !ids) { document.getElementById("info").hidden = true; render(); return; }
    var vertex = hit.face ? hit.face.a : hit.index;
    var feature = Math.round(ids.getX(vertex));
    highlight(hit.object.geometry, ids, feature);
    showFeature(layer, feature);
  }

  function showFeature(layer, feature) {
    var columns = layer.features.columns, row = layer.features.rows[feature], pairs = [];
    var sections = {};
    layer.features.sections.forEach(function (section) { sections[section[0]] = section[1]; });
    for (var i = 1; i < columns.length; i++) {
      if (sections[i] !== undefined) { pairs.push([sections[i]]); }  // a heading row
      if (row[i] !== "") { pairs.push([columns[i], row[i]]); }
    }
    showInfo(columns[0] + " " + row[0], pairs);
  }

  function showProposal(proposal) {
    var pairs = [["kind", proposal.kind_title], ["title", proposal.title], ["author", proposal.author],
      ["comment", proposal.comment]];
    Object.keys(proposal.parameters).forEach(function (name) { pairs.push([name, proposal.parameters[name]]); });
    showInfo("Proposal " + proposal.id, pairs.filter(function (pair) { return pair[1] !== ""; }));
  }

  function showPin(pin) {
    showInfo("Your comment " + pin.id, [["title", pin.title], ["author", pin.author], ["comment", pin.comment]]
      .filter(function (pair) { return pair[1] !== ""; }));
  }

  function showInfo(title, pairs) {
    document.getElementById("info-title").textContent = title;
    var table = document.getElementById("info-table");
    table.innerHTML = "";
    pairs.forEach(function (pair) {
      var row = element("tr");
      if (pair.length === 1) {
        var heading = element("th", pair[0]);
        heading.colSpan = 2;
        row.appendChild(heading);
      } else {
        row.appendChild(element("td", pair[0]));
        row.appendChild(element("td", pair[1]));
      }
      table.appendChild(row);
    });
    document.getElementById("info").hidden = false;
    render();
  }

  function highlight(geometry, ids, feature) {
    var colours = geometry.getAttribute("color");
    var original = colours.array.slice();
    for (var i = 0; i < ids.count; i++) {
      if (Math.round(ids.getX(i)) === feature) { colours.setXYZ(i, HIGHLIGHT.r, HIGHLIGHT.g, HIGHLIGHT.b); }
    }
    colours.needsUpdate = true;
    highlighted = { geometry: geometry, original: original };
  }

  function clearHighlight() {
    if (!highlighted) { return; }
    var colours = highlighted.geometry.getAttribute("color");
    colours.array.set(highlighted.original);
    colours.needsUpdate = true;
    highlighted = null;
  }

  // ----- comment pins: placed on what the click hit, downloaded as a proposals file -----

  function pinsKey() { return "twin-comments:" + data.name + ":" + data.published; }

  // A cone on its tip at the place, as large on the screen however near or far (render() scales it).
  function pinMarker(point, colour) {
    var geometry = new THREE.ConeGeometry(0.35, 1, 12).rotateX(Math.PI).translate(0, 0.5, 0);
    var marker = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ color: colour }));
    marker.position.copy(point);
    marker.userData.screenSized = true;
    return marker;
  }

  function addPin(pin) {
    pin.number = pins.length;
    pins.push(pin);
    var marker = pinMarker(toLocal(pin.position), PIN_COLOUR);
    marker.userData.pin = pin.number;
    pinGroup.add(marker);
    listPins();
    render();
  }

  function listPins() {
    var list = document.getElementById("pins");
    list.innerHTML = "";
    pins.forEach(function (pin, number) {
      var item = element("li", (pin.title || pin.comment).slice(0, 60) + " "), remove = element("button", "remove");
      remove.type = "button";
      remove.addEventListener("click", function () { removePin(number); });
      item.appendChild(remove);
      list.appendChild(item);
    });
    document.getElementById("download-comments").disabled = pins.length === 0;
    try { localStorage.setItem(pinsKey(), JSON.stringify(pins)); } catch (ignored) { /* private mode */ }
  }

  function removePin(number) {
    var kept = pins.filter(function (pin, index) { return index !== number; });
    pins = [];
    pinGroup.clear();
    kept.forEach(addPin);
    listPins();
    render();
  }

  function restorePins() {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(pinsKey()) || "null"); } catch (ignored) { saved = null; }
    (saved || []).forEach(addPin);
  }

  function crsMember() {
    var match = /^EPSG:(\d+)$/.exec(data.crs || "");
    return { type: "name", properties: { name: match ? "urn:ogc:def:crs:EPSG::" + match[1] : data.crs } };
  }

  function pinsGeoJSON() {
    return {
      type: "FeatureCollection", crs: crsMember(), twin_proposals: 1,
      features: pins.map(function (pin) {
        return { type: "Feature", id: pin.id, geometry: { type: "Point", coordinates: pin.position },
          properties: { id: pin.id, kind: data.comment_kind, title: pin.title, author: pin.author,
            comment: pin.comment } };
      })
    };
  }

  function saveBlob(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  function download() {
    saveBlob(new Blob([JSON.stringify(pinsGeoJSON(), null, 1)], { type: "application/geo+json" }),
      "comments.geojson");
  }

  function setPlacing(on) {
    placing = on;
    view.classList.toggle("placing", on);
    document.getElementById("add-comment").classList.toggle("active", on);
    say(on ? "Click the place your comment is about." : "");
  }

  function placePin(event) {
    var hit = hitAt(event, layerObjects.concat(proposalObjects));
    if (!hit) { say("Click on the ground or a building to place your comment."); return; }
    setPlacing(false);
    pendingPoint = hit.point.clone();
    document.getElementById("comment-form").hidden = false;
    document.getElementById("comment-text").focus();
  }

  function saveComment(event) {
    event.preventDefault();
    var text = document.getElementById("comment-text");
    var map = toMap(pendingPoint).map(round2);
    addPin({ id: "comment-" + Date.now().toString(36) + "-" + (pins.length + 1), position: map,
      title: document.getElementById("comment-title").value.trim(),
      author: document.getElementById("comment-author").value.trim(), comment: text.value.trim() });
    text.value = "";
    document.getElementById("comment-title").value = "";
    document.getElementById("comment-form").hidden = true;
  }

  function wireEvents() {
    var down = null;
    renderer.domElement.addEventListener("pointerdown", function (event) { down = [event.clientX, event.clientY]; });
    renderer.domElement.addEventListener("pointerup", function (event) {
      if (!down || Math.abs(event.clientX - down[0]) + Math.abs(event.clientY - down[1]) > 4) { return; }
      if (placing) { placePin(event); } else { pick(event); }
    });
    document.getElementById("info-close").addEventListener("click", function () {
      document.getElementById("info").hidden = true;
      clearHighlight();
      render();
    });
    document.getElementById("add-comment").addEventListener("click", function () { setPlacing(!placing); });
    document.getElementById("comment-form").addEventListener("submit", saveComment);
    document.getElementById("comment-cancel").addEventListener("click", function () {
      document.getElementById("comment-form").hidden = true;
    });
    document.getElementById("download-comments").addEventListener("click", download);
  }

  // For tests and embedding: where on the screen a feature's largest upward face lies (a line's:
  // the middle of its first piece).
  function featureScreenPoint(layerName, feature) {
    var number = data.layers.findIndex(function (layer) { return layer.name === layerName; });
    var best = null, bestArea = 0;
    layerObjects[number].traverse(function (child) {
      var ids = child.geometry && child.geometry.getAttribute("_feature_id_0");
      if (ids && child.isLineSegments && !best) { best = lineMiddle(child.geometry, ids, feature); }
      if (!child.isMesh || !ids) { return; }
      var positions = child.geometry.getAttribute("position");
      var a = new THREE.Vector3(), b = new THREE.Vector3(), c = new THREE.Vector3();
      for (var i = 0; i + 2 < ids.count; i += 3) {
        if (Math.round(ids.getX(i)) !== feature) { continue; }
        a.fromBufferAttribute(positions, i); b.fromBufferAttribute(positions, i + 1); c.fromBufferAttribute(positions, i + 2);
        var normal = new THREE.Vector3().crossVectors(b.clone().sub(a), c.clone().sub(a));
        var upward = Math.abs(normal.y) / 2;  // the triangle's area seen from above
        if (upward > bestArea) { bestArea = upward; best = a.clone().add(b).add(c).divideScalar(3); }
      }
    });
    if (!best) { return null; }
    var projected = best.project(camera), rect = renderer.domElement.getBoundingClientRect();
    return { x: rect.left + (projected.x + 1) / 2 * rect.width, y: rect.top + (1 - projected.y) / 2 * rect.height };
  }

  function lineMiddle(geometry, ids, feature) {
    var positions = geometry.getAttribute("position");
    for (var i = 0; i + 1 < ids.count; i += 2) {
      if (Math.round(ids.getX(i)) === feature) {
        return new THREE.Vector3().fromBufferAttribute(positions, i)
          .add(new THREE.Vector3().fromBufferAttribute(positions, i + 1)).divideScalar(2);
      }
    }
    return null;
  }

  window.twinViewer = { featureScreenPoint: featureScreenPoint, pinsGeoJSON: pinsGeoJSON };
  start();
}());
