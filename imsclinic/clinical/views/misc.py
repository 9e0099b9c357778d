"""Small htmx helpers: the muscle picker's search and the facts of a chosen muscle."""

from django.core.exceptions import ValidationError
from django.shortcuts import render

from imsclinic.accounts.models import CLINICAL_ROLES
from imsclinic.clinical import safety
from imsclinic.clinical.forms import MuscleField
from imsclinic.core.access import role_required


@role_required(*CLINICAL_ROLES)
def muscle_search(request):
    """Muscles matching `q` by name or synonym, with segment, depth guidance and hazards."""
    query = request.GET.get("q") or request.GET.get("muscle") or ""
    muscles = safety.search_muscles(query)
    facts = None
    try:
        muscle_id = MuscleField().clean(query) if query else None
    except ValidationError:  # an incomplete or ambiguous name is normal while typing
        muscle_id = None
    if muscle_id:
        facts = safety.muscle_facts(muscle_id)
    return render(
        request,
        "clinical/_muscle_facts.html",
        {"muscles": [safety.muscle_facts(m.id) for m in muscles], "facts": facts, "query": query},
    )
