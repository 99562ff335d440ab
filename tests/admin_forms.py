"""Read an admin page's form as a browser would post it, whatever its widgets."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """Collects the fields of the admin's main form (id ends with `_form`)."""

    def __init__(self):
        super().__init__()
        self.in_form = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_multiple = False
        self._select_values: list[str] = []
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("id") or "").endswith("_form"):
            self.in_form = True
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_values, self._first_option = name, [], None
            self._select_multiple = "multiple" in attrs
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attrs:
                self._select_values.append(value)
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select" and self._select is not None:
            values = self._select_values
            if not values and not self._select_multiple and self._first_option is not None:
                values = [self._first_option]
            self.fields += [(self._select, value) for value in values]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def form_data(html: str) -> dict[str, list[str]]:
    """The admin form's fields and their values, as the browser would post them."""
    reader = _FormReader()
    reader.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in reader.fields:
        data.setdefault(name, []).append(value)
    return data
