"""Admin for study structure only.

Answers, participants (pseudonyms and their link hashes) and completion are
deliberately not registered: SPEC 5 forbids any admin view that could join a
person to their answers.
"""

from django.contrib import admin

from surveys.models import Item, ItemLink, ItemOption, Membership, Round, Study


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "consensus_rule", "not_recommended_threshold", "modified"]
    search_fields = ["slug", "title"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [MembershipInline]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "status", "deadline", "opened_at", "closed_at"]
    list_filter = ["status", "kind", "study"]
    list_select_related = ["study"]


class ItemOptionInline(admin.TabularInline):
    model = ItemOption
    extra = 0


class ItemLinkInline(admin.TabularInline):
    model = ItemLink
    fk_name = "child"
    extra = 0
    verbose_name = "continues from"
    verbose_name_plural = "lineage (continues from)"
    raw_id_fields = ["parent"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["code", "type", "round", "vignette", "position", "required"]
    list_filter = ["type", "round__study", "round"]
    search_fields = ["code", "text"]
    list_select_related = ["round__study", "vignette"]
    raw_id_fields = ["vignette"]
    inlines = [ItemOptionInline, ItemLinkInline]
