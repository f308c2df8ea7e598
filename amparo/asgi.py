"""What granian serves (``amparo run``, ``amparo demo``, the benchmarks): Django's WSGI
application behind ``amparo.core.buffered``, which reads each request body on the
event loop with a deadline before a request thread sees it."""

from amparo.core.buffered import BufferedWSGI
from amparo.wsgi import application as wsgi_application

application = BufferedWSGI(wsgi_application)
