"""Import people from a spreadsheet (upload → preview, fix or skip → import). Views
parse, authorise, call a service, render. Exports are in views_export.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from amparo.accounts.access import capability_required, network_queryset, request_network
from amparo.accounts.roles import Cap

from .access import get_import_for_user
from .forms_import import ImportPreviewForm, ImportUploadForm
from .importing import (
    MAX_UPLOAD_BYTES,
    ImportFailed,
    ImportFileError,
    ImportNotReady,
    import_batch_abandon,
    import_batch_cancel,
    import_batch_check,
    import_batch_create,
    import_batch_start,
    import_batch_update,
)
from .models import ImportBatch

#: Room for the multipart envelope and the other form fields around the file.
UPLOAD_SLACK = 64 * 1024


@csrf_exempt  # only to look at the size first: _import_start below is csrf_protect'ed
@require_http_methods(["GET", "POST"])
@capability_required(Cap.MEMBERS_MANAGE)
def import_start(request: HttpRequest) -> HttpResponse:
    """The upload page. A body declared larger than the limit is refused before Django
    parses it, so a 50 MB upload is never spooled to disk, let alone read into memory."""
    if request.method == "POST":
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_UPLOAD_BYTES + UPLOAD_SLACK:
            # (the buffering front has read the whole body already: the browser sees this)
            error = _(
                "This file is larger than %(limit)s MB. Split it into smaller files, or "
                "remove the columns Amparo does not need, and upload it again."
            ) % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
            return _start_page(request, ImportUploadForm(), status=413, error=error)
    return _import_start(request)


@csrf_protect
def _import_start(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = import_batch_create(
                network=request_network(request),
                actor=request.user,  # type: ignore[arg-type]
                filename=upload.name or "",
                stream=upload,
                size=upload.size,
            )
        except ImportFileError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("people:import_preview", pk=batch.pk)
    return _start_page(request, form, status=400 if form.errors else 200)


def _start_page(
    request: HttpRequest, form: ImportUploadForm, *, status: int, error: str = ""
) -> HttpResponse:
    unfinished = network_queryset(request, ImportBatch).filter(
        status__in=[ImportBatch.Status.PREVIEW, *ImportBatch.ACTIVE]
    )
    finished = network_queryset(request, ImportBatch).filter(
        status__in=[ImportBatch.Status.IMPORTED, ImportBatch.Status.FAILED]
    )
    return render(
        request,
        "people/import.html",
        {"form": form, "unfinished": unfinished[:10], "finished": finished[:5], "error": error},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_import_for_user(request, pk)
    if batch.status != ImportBatch.Status.PREVIEW:
        return _progress_page(request, batch)
    if request.method == "POST" and request.POST.get("action") == "abandon":
        import_batch_abandon(batch=batch)
        messages.info(request, _("The import was cancelled and its rows were deleted."))
        return redirect("people:import")
    check = import_batch_check(batch=batch)
    form = ImportPreviewForm(
        request.POST if request.method == "POST" else None,
        payload=batch.payload,
        check=check,
        network=batch.network,
    )
    if request.method == "POST" and form.is_valid():
        try:
            import_batch_update(
                batch=batch,
                mapping=form.mapping(),
                training=form.cleaned_data.get("training") or "",
                fixes=form.fixes(),
                skips=form.skips(),
            )
            if form.cleaned_data.get("action") == "import":
                import_batch_start(
                    batch=batch,
                    actor=request.user,  # type: ignore[arg-type]
                    skip_errors=bool(form.cleaned_data.get("skip_errors")),
                )
                messages.success(
                    request,
                    _(
                        "The import has started. You can leave this page: it goes on "
                        "without you, and you can come back to see how far it is."
                    ),
                )
        except (ImportNotReady, ImportFailed) as exc:
            messages.error(request, exc.message)
        return redirect("people:import_preview", pk=batch.pk)
    context: dict[str, Any] = {
        "batch": batch,
        "check": check,
        "counts": check.counts(),
        "form": form,
        "problems_total": len(check.problems()),
        "notes": [r for r in check.rows if r.warnings and not r.errors and not r.skipped][:100],
        "previous": network_queryset(request, ImportBatch)
        .filter(file_sha256=batch.file_sha256, status=ImportBatch.Status.IMPORTED)
        .exclude(pk=batch.pk)
        .first(),
    }
    return render(request, "people/import_preview.html", context)


#: Problems listed on the progress page; the rest are counted.
PROBLEMS_SHOWN = 200


def _progress_page(request: HttpRequest, batch: ImportBatch) -> HttpResponse:
    """A queued, running or finished import: its progress bar, counts and the rows with
    problems found so far. Refreshes itself without JavaScript while it runs; with
    JavaScript, progress.js updates the bar from :func:`import_progress`."""
    if request.method == "POST" and request.POST.get("action") == "cancel":
        if import_batch_cancel(batch=batch, actor=request.user):  # type: ignore[arg-type]
            messages.info(
                request,
                _("The import was stopped. The people imported before you stopped it are kept."),
            )
        return redirect("people:import_preview", pk=batch.pk)
    problems = batch.problems or []
    merged = batch.row_count - batch.skipped_count
    merged -= batch.created_count + batch.updated_count + batch.unchanged_count
    return render(
        request,
        "people/import_result.html",
        {
            "batch": batch,
            "active": batch.status in ImportBatch.ACTIVE,
            "queued": batch.status == ImportBatch.Status.QUEUED,
            "merged": max(0, merged),
            "problems": problems[:PROBLEMS_SHOWN],
            "problems_more": max(0, len(problems) - PROBLEMS_SHOWN),
        },
    )


@require_http_methods(["GET"])
def import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """How far an import is, for the progress page's script: counts only."""
    batch = get_import_for_user(request, pk)
    return JsonResponse(
        {
            "status": batch.status,
            "active": batch.status in ImportBatch.ACTIVE,
            "done": batch.done_count,
            "total": batch.row_count,
            "percent": batch.percent,
            "created": batch.created_count,
            "updated": batch.updated_count,
            "problems": len(batch.problems or []),
        }
    )
