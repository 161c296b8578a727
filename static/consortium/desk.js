/* The monitoring buttons of templates/consortium/desk.html. */
(function () {
  "use strict";
  var status = document.getElementById("connection");
  var buttons = document.querySelectorAll("button.monitor");
  var socket, beat;
  function show(queues) {
    buttons.forEach(function (b) {
      var on = queues.indexOf(Number(b.dataset.queue)) !== -1;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.textContent = on ? "Stop monitoring" : "Monitor";
    });
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/desk/presence/");
    socket.onopen = function () {
      status.textContent = "Connected. New chats are offered for the queues you monitor.";
      beat = setInterval(function () { socket.send(JSON.stringify({type: "heartbeat"})); }, 20000);
    };
    socket.onmessage = function (e) {
      var frame = JSON.parse(e.data);
      if (frame.type === "monitoring") show(frame.queues);
      if (frame.type === "error") status.textContent = frame.message;
    };
    socket.onclose = function (e) {
      clearInterval(beat);
      if (e.code === 4401 || e.code === 4403) return;  // refused: the error frame said why
      status.textContent = "Connection lost; reconnecting…";
      setTimeout(connect, 3000);
    };
  }
  buttons.forEach(function (b) {
    b.addEventListener("click", function () {
      var on = b.getAttribute("aria-pressed") === "true";
      socket.send(JSON.stringify({type: on ? "unmonitor" : "monitor", queue: Number(b.dataset.queue)}));
    });
  });
  connect();
})();
