from django.contrib import admin

from vignettes.models import Option, Vignette


@admin.register(Vignette)
class VignetteAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "study", "base", "position"]
    list_filter = ["study"]
    search_fields = ["code", "title", "text", "change"]
    list_select_related = ["study", "base"]


@admin.register(Option)
class OptionAdmin(admin.ModelAdmin):
    list_display = ["code", "short", "group", "study", "position"]
    list_filter = ["study", "group"]
    search_fields = ["code", "name", "short"]
    list_select_related = ["study"]
    filter_horizontal = ["merged_from"]
