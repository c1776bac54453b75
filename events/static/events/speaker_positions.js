'use strict';
// The position of a statement (its own page, or each statement row on an event's page)
// lists the positions of the speaker chosen beside it only (events/admin.py,
// SpeakerPositionSelect): select2 as Django's autocomplete.js starts it, plus the
// speaker ("speaker" beside "position", "statements-0-speaker" beside
// "statements-0-position"); a new speaker clears a position that was another person's.
{
    const $ = django.jQuery;

    function speakerOf(position) {
        const name = position.name.replace(/position$/, 'speaker');
        return document.querySelector(`select[name="${name}"]`);
    }

    function start(position) {
        const speaker = speakerOf(position);
        $(position).select2({
            ajax: {
                data: (params) => ({
                    term: params.term,
                    page: params.page,
                    speaker: speaker ? speaker.value : ''
                })
            }
        });
        if (speaker) {
            $(speaker).on('change', () => $(position).val(null).trigger('change'));
        }
    }

    $(function() {
        $('.speaker-position').not('[name*=__prefix__]').each((i, element) => start(element));
    });

    document.addEventListener('formset:added', (event) => {
        $(event.target).find('.speaker-position').each((i, element) => start(element));
    });
}
