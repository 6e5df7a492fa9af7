// who: the players online, with how long they have been idle.
string help() { return "who                  who is online\n"; }

int main(string arg)
{
    object *people = filter(users(), (: $1->query_name() :));
    write(sizeof(people) == 1 ? "One player online:\n"
          : sizeof(people) + " players online:\n");
    foreach (object p in people) {
        int idle = query_idle(p);
        string line = sprintf("  %-12s %s%s", p->query_cap_name(),
                              is_admin(p) ? " (admin)" : "",
                              idle >= 60 ? " idle " + (idle / 60) + " min" : "");
        write(trim(line[2..]) == "" ? "" : "  " + trim(line) + "\n");
    }
    return 1;
}
