def handler(request):
    return "ok"
