window.p13n = window.p13n || function () { (p13n.q = p13n.q || []).push(arguments) };
(function (d, s) { s = d.createElement('script'); s.async = 1; s.src = 'https://YOUR-CDN/p13n.min.js';
  d.head.appendChild(s) })(document);
