// ReDoc without a request to another host. Its sidebar credit ("API docs by Redocly")
// shows a logo from Redocly's servers, and no ReDoc option turns it off; the page may
// load images from this origin only (the Content-Security-Policy's img-src), so the
// browser would refuse it and log an error. Loaded before ReDoc, this empties an image
// address on another host as it is set, by the `src` property (as ReDoc's React does)
// or the attribute: the image fails without a request, ReDoc drops it (its onError),
// and the credit keeps its text and link.
(function () {
  "use strict";

  function sameHostOnly(value) {
    let url;
    try {
      url = new URL(String(value), document.baseURI);
    } catch (error) {
      return value; // not an address the browser could fetch either
    }
    const web = url.protocol === "http:" || url.protocol === "https:";
    return web && url.origin !== location.origin ? "" : value;
  }

  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) {
      src.set.call(this, sameHostOnly(value));
    },
  });

  const setAttribute = Element.prototype.setAttribute;
  HTMLImageElement.prototype.setAttribute = function (name, value) {
    const isSrc = String(name).toLowerCase() === "src";
    return setAttribute.call(this, name, isSrc ? sameHostOnly(value) : value);
  };
})();
