/* fininvest app: cytoscape.js renderer options that dash-cytoscape does not expose
   (hide edges and use a texture while panning or zooming; research wave2-anchors §1).
   Applied once to every graph on the page; harmless if the fields change name. */
(function () {
  function tune() {
    document.querySelectorAll(".fi-cy").forEach(function (div) {
      var reg = div._cyreg;
      if (!reg || !reg.cy || div.dataset.fiTuned) { return; }
      var r = reg.cy.renderer();
      if (r) { r.hideEdgesOnViewport = true; r.textureOnViewport = true; }
      div.dataset.fiTuned = "1";
    });
  }
  window.setInterval(tune, 500);
})();
