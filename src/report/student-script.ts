/**
 * The in-browser student page's script, as plain browser JavaScript (the project compiles
 * without the DOM lib, and the page must not depend on a bundler). It reads its settings from
 * the JSON block #cmkd-config, loads the model stored in it (or model.json, served) with TF.js, and exposes:
 *
 *   window.cmkdReady               Promise, settles once the model is loaded
 *   window.cmkdPredict(i)          Promise<number[]>: class probabilities of embedded sample i
 *   window.cmkdPredictValues(xs)   Promise<number[]>: the same for raw modality values
 *
 * Kept free of backticks and "${" so it can live in a template literal.
 */
export const STUDENT_SCRIPT = `
(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('cmkd-config').textContent);
  var shape = cfg.inputShape;
  var size = shape.reduce(function (a, b) { return a * b; }, 1);
  var isImage = shape.length === 3;
  var H = isImage ? shape[0] : 1, W = isImage ? shape[1] : 1, C = isImage ? shape[2] : 1;
  var classes = cfg.classes || [];
  var std = cfg.standardizer;
  var model = null;
  var $ = function (id) { return document.getElementById(id); };

  function setStatus(text, isError) {
    var s = $('status');
    s.textContent = text;
    s.className = isError ? 'status error' : 'status';
  }

  /** (x - mean) / std per feature (tables) or per channel (images), as at training time. */
  function standardise(raw) {
    var out = new Float32Array(size);
    for (var i = 0; i < size; i++) {
      var v = Number(raw[i]);
      if (std) {
        var g = std.per === 'channel' ? i % std.mean.length : i;
        v = (v - std.mean[g]) / std.std[g];
      }
      out[i] = v;
    }
    return out;
  }

  function predictValues(raw) {
    if (!model) return Promise.reject(new Error('the model is not loaded yet'));
    if (!raw || raw.length !== size) {
      return Promise.reject(new Error('expected ' + size + ' values (shape ' + shape.join('x') + '), got ' + (raw ? raw.length : 0)));
    }
    var x = standardise(raw);
    var out = tf.tidy(function () {
      var y = model.predict(tf.tensor(x, [1].concat(shape)));
      var logits = Array.isArray(y) ? y[0] : y;
      return cfg.task === 'regression' ? logits.reshape([-1]) : tf.softmax(logits).reshape([-1]);
    });
    return out.data().then(function (d) { out.dispose(); return Array.from(d); });
  }

  // ---- output ---------------------------------------------------------------------------
  function showResult(probs, trueLabel) {
    var box = $('result');
    box.innerHTML = '';
    if (cfg.task === 'regression') {
      var p = document.createElement('div');
      p.className = 'regression';
      p.textContent = 'prediction: ' + probs[0].toPrecision(5);
      box.appendChild(p);
    } else {
      var best = 0;
      for (var i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
      var head = document.createElement('div');
      head.className = 'top';
      head.innerHTML = '<span class="label"></span><span class="pct"></span>';
      head.querySelector('.label').textContent = classes[best] !== undefined ? classes[best] : String(best);
      head.querySelector('.pct').textContent = (100 * probs[best]).toFixed(1) + '%';
      box.appendChild(head);
      probs.forEach(function (p, k) {
        var row = document.createElement('div');
        row.className = 'bar' + (k === best ? ' best' : '');
        row.setAttribute('data-class', String(k));
        row.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="val"></span>';
        row.querySelector('.name').textContent = classes[k] !== undefined ? classes[k] : String(k);
        row.querySelector('.name').title = row.querySelector('.name').textContent;
        row.querySelector('.fill').style.width = (100 * p).toFixed(2) + '%';
        row.querySelector('.val').textContent = (100 * p).toFixed(1) + '%';
        box.appendChild(row);
      });
    }
    $('truth').textContent = trueLabel === undefined || trueLabel === null ? '' : 'true label: ' + trueLabel;
  }

  function run(raw, trueLabel) {
    return predictValues(raw).then(function (probs) {
      showResult(probs, trueLabel);
      setStatus('');
      return probs;
    }, function (err) {
      setStatus(err.message, true);
      throw err;
    });
  }

  function labelOf(sample) {
    if (sample.label === undefined || sample.label === null) return null;
    return typeof sample.label === 'number' && classes[sample.label] !== undefined ? classes[sample.label] : String(sample.label);
  }

  // ---- image input ----------------------------------------------------------------------
  var lo = cfg.valueRange[0], hi = cfg.valueRange[1];
  var draw = $('draw'), preview = $('preview');
  var drawCtx = draw ? draw.getContext('2d') : null;
  var drawn = false;
  /** The strokes drawn, as point lists in drawing-canvas coordinates (re-rendered for the model). */
  var strokes = [];
  /** Pen width as a share of the model frame's side, about MNIST's stroke. */
  var INK = 0.1;
  /** Share of the frame a centred drawing fills (MNIST: 20 of 28 pixels). */
  var FILL = 0.72;

  function clearCanvas() {
    drawCtx.fillStyle = '#000';
    drawCtx.fillRect(0, 0, draw.width, draw.height);
    drawn = false;
    strokes = [];
  }

  /** Raw modality values as grey levels in [0, 1] (per channel), for display. */
  function toUnit(v) { return hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0; }

  function paintValues(raw, canvas) {
    var small = document.createElement('canvas');
    small.width = W; small.height = H;
    var sctx = small.getContext('2d');
    var img = sctx.createImageData(W, H);
    for (var p = 0; p < H * W; p++) {
      for (var c = 0; c < 3; c++) {
        var u = toUnit(raw[p * C + (C === 3 ? c : 0)]);
        if ($('invert') && $('invert').checked) u = 1 - u;
        img.data[4 * p + c] = Math.round(255 * u);
      }
      img.data[4 * p + 3] = 255;
    }
    sctx.putImageData(img, 0, 0);
    var ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  }

  /** The H x W x C model input from an image source (canvas or <img>), resized to W x H. */
  function valuesFrom(source, sx, sy, sw, sh) {
    var small = document.createElement('canvas');
    small.width = W; small.height = H;
    var ctx = small.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, W, H);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(source, sx, sy, sw, sh, 0, 0, W, H);
    var d = ctx.getImageData(0, 0, W, H).data;
    var out = new Float32Array(size);
    var inv = $('invert') && $('invert').checked;
    for (var p = 0; p < H * W; p++) {
      var r = d[4 * p] / 255, g = d[4 * p + 1] / 255, b = d[4 * p + 2] / 255;
      var ch = C === 3 ? [r, g, b] : [0.299 * r + 0.587 * g + 0.114 * b];
      for (var c = 0; c < C; c++) {
        var u = ch[Math.min(c, ch.length - 1)];
        if (inv) u = 1 - u;
        out[p * C + c] = lo + u * (hi - lo);
      }
    }
    return out;
  }

  /**
   * The strokes re-drawn at the model's resolution with a pen of fixed width (INK of the
   * frame), so a drawing reads like a training image whatever its size on screen; with
   * "centre" on, its bounding box is scaled into the central FILL of the frame, as MNIST's is.
   */
  function strokesToValues() {
    var S = 4, big = document.createElement('canvas');
    big.width = W * S; big.height = H * S;
    var ctx = big.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, big.width, big.height);
    var sx = W / draw.width, sy = H / draw.height, ox = 0, oy = 0;
    if ($('center') && $('center').checked) {
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      strokes.forEach(function (st) { st.forEach(function (p) {
        x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y);
      }); });
      var box = Math.max(x1 - x0, y1 - y0);
      if (box > 1) {
        sx = sy = FILL * Math.min(W, H) / box;
        ox = W / 2 - sx * (x0 + x1) / 2;
        oy = H / 2 - sy * (y0 + y1) / 2;
      }
    }
    ctx.setTransform(S, 0, 0, S, 0, 0);
    ctx.strokeStyle = ctx.fillStyle = '#fff';
    ctx.lineWidth = INK * Math.min(W, H);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    strokes.forEach(function (st) {
      ctx.beginPath();
      if (st.length === 1) {
        ctx.arc(ox + sx * st[0].x, oy + sy * st[0].y, ctx.lineWidth / 2, 0, 2 * Math.PI);
        ctx.fill();
        return;
      }
      st.forEach(function (p, k) {
        if (k === 0) ctx.moveTo(ox + sx * p.x, oy + sy * p.y); else ctx.lineTo(ox + sx * p.x, oy + sy * p.y);
      });
      ctx.stroke();
    });
    return valuesFrom(big, 0, 0, big.width, big.height);
  }

  function classifyDrawing() {
    if (!drawn || !strokes.length) return;
    $('sample-no').textContent = '';
    var raw = strokesToValues();
    paintValues(raw, preview);
    run(raw, null).catch(function () {});
  }

  function setupImage() {
    clearCanvas();
    // On screen, about the width the model will see when the drawing fills the frame.
    var brush = Math.round(0.8 * draw.width * INK / FILL);
    var last = null, pending = null;
    function pos(e) {
      var r = draw.getBoundingClientRect();
      return { x: (e.clientX - r.left) * draw.width / r.width, y: (e.clientY - r.top) * draw.height / r.height };
    }
    draw.addEventListener('pointerdown', function (e) {
      e.preventDefault();
      draw.setPointerCapture(e.pointerId);
      if (!drawn) clearCanvas();
      last = pos(e);
      strokes.push([last]);
      drawCtx.fillStyle = '#fff';
      drawCtx.beginPath();
      drawCtx.arc(last.x, last.y, brush / 2, 0, 2 * Math.PI);
      drawCtx.fill();
      drawn = true;
    });
    draw.addEventListener('pointermove', function (e) {
      if (!last) return;
      var p = pos(e);
      drawCtx.strokeStyle = '#fff';
      drawCtx.lineWidth = brush;
      drawCtx.lineCap = 'round';
      drawCtx.lineJoin = 'round';
      drawCtx.beginPath();
      drawCtx.moveTo(last.x, last.y);
      drawCtx.lineTo(p.x, p.y);
      drawCtx.stroke();
      strokes[strokes.length - 1].push(p);
      last = p;
      if (!pending) pending = setTimeout(function () { pending = null; classifyDrawing(); }, 120);
    });
    var end = function () { if (last) { last = null; classifyDrawing(); } };
    draw.addEventListener('pointerup', end);
    draw.addEventListener('pointercancel', end);
    $('clear').addEventListener('click', function () {
      clearCanvas();
      paintValues(new Float32Array(size).fill(lo), preview);
      $('result').innerHTML = '';
      $('truth').textContent = '';
    });
    $('upload').addEventListener('change', function () {
      var file = $('upload').files[0];
      if (!file) return;
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var raw = valuesFrom(img, 0, 0, img.naturalWidth, img.naturalHeight);
        URL.revokeObjectURL(url);
        drawCtx.drawImage(img, 0, 0, draw.width, draw.height);
        drawn = false;
        paintValues(raw, preview);
        run(raw, null).catch(function () {});
      };
      img.onerror = function () { setStatus('could not read ' + file.name + ' as an image', true); };
      img.src = url;
    });
  }

  // ---- table input ----------------------------------------------------------------------
  function parseRow(text) {
    var parts = text.trim().split(/[\\s,;]+/).filter(function (s) { return s !== ''; });
    if (parts.length !== size) throw new Error('expected ' + size + ' numbers (one per feature), got ' + parts.length);
    return parts.map(function (s, i) {
      var v = Number(s);
      if (!isFinite(v)) throw new Error('value ' + (i + 1) + " ('" + s + "') is not a number");
      return v;
    });
  }

  function setupTable() {
    $('classify').addEventListener('click', function () {
      var raw;
      try { raw = parseRow($('row').value); } catch (e) {
        setStatus(e.message, true);
        $('result').innerHTML = '';
        $('truth').textContent = '';
        return;
      }
      $('sample-no').textContent = '';
      run(raw, null).catch(function () {});
    });
  }

  // ---- samples --------------------------------------------------------------------------
  var next = 0;
  function showSample(i) {
    var s = cfg.samples[i];
    if (isImage) {
      paintValues(s.x, draw);
      drawn = false;
      paintValues(s.x, preview);
    } else {
      $('row').value = s.x.map(function (v) { return Number(v.toPrecision(7)); }).join(', ');
    }
    $('sample-no').textContent = 'sample ' + (i + 1) + ' of ' + cfg.samples.length;
    return run(s.x, labelOf(s));
  }

  window.cmkdPredictValues = function (values) { return predictValues(Array.from(values)); };
  window.cmkdPredict = function (i) {
    if (!(i >= 0 && i < cfg.samples.length)) return Promise.reject(new Error('no sample ' + i + ' (the page holds ' + cfg.samples.length + ')'));
    return predictValues(cfg.samples[i].x);
  };

  window.cmkdReady = (function () {
    if (isImage) setupImage(); else setupTable();
    if (cfg.samples.length) {
      $('sample').addEventListener('click', function () {
        var i = next;
        next = (next + 1) % cfg.samples.length;
        showSample(i).catch(function () {});
      });
    }
    var backend = new URLSearchParams(location.search).get('backend') || 'cpu';
    setStatus('loading the model...');
    return tf.setBackend(backend).then(function () { return tf.ready(); }).then(function () {
      if (cfg.embedded) {
        // The model stored in the page: nothing to fetch, so it also works opened from a file.
        var bin = atob(cfg.embedded.weights);
        var bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        return tf.loadLayersModel(tf.io.fromMemory({
          modelTopology: cfg.embedded.modelTopology,
          weightSpecs: cfg.embedded.weightSpecs,
          weightData: bytes.buffer
        }));
      }
      if (location.protocol === 'file:') {
        throw new Error('this page was opened from a file, and browsers do not let such a page load ' + cfg.modelUrl + '. Serve the run folder with "cmkd serve <run-dir>" and open the address it prints.');
      }
      // An absolute URL: from a bare 'model.json' TF.js would fetch '/weights.bin' from the site root.
      return tf.loadLayersModel(new URL(cfg.modelUrl, location.href).href);
    }).then(function (m) {
      model = m;
      $('backend').textContent = tf.getBackend();
      setStatus('');
      document.body.setAttribute('data-ready', 'true');
      if (cfg.samples.length && $('sample')) $('sample').disabled = false;
    }, function (err) {
      setStatus('could not load the model: ' + err.message, true);
      throw err;
    });
  })();
})();
`;
